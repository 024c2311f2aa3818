//! The market account: header (config + live state), then the bids and the
//! asks, then the seat table, all in one client-created zero-copy account.
//! The seat table is last: it grows by one seat when a seat is claimed at
//! its end and shrinks by one when a seat is released (swap-remove).
//!
//! Layout of the account data:
//! `[8 discriminator][Market][Order; book_capacity][Order; book_capacity][Seat; seat_count]`

use super::{Order, Seat};
use crate::error::ErrorCode;
use crate::math::{PodI128, MAX_ORACLE_FEEDS, MAX_RISK_TIERS};
use anchor_lang::prelude::borsh::{BorshDeserialize, BorshSerialize};
use anchor_lang::prelude::*;
use anchor_lang::Discriminator;
use static_assertions::const_assert_eq;

pub const MARKET_VERSION: u8 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum MarketStatus {
    /// Everything allowed.
    Active = 0,
    /// Only orders that reduce a position; deposits, withdrawals, cancels.
    ReduceOnly = 1,
    /// No new orders; cancels, deposits and withdrawals within margin.
    Paused = 2,
}

impl TryFrom<u8> for MarketStatus {
    type Error = Error;
    fn try_from(v: u8) -> Result<Self> {
        match v {
            0 => Ok(Self::Active),
            1 => Ok(Self::ReduceOnly),
            2 => Ok(Self::Paused),
            _ => err!(ErrorCode::InvalidMarketStatus),
        }
    }
}

/// What happens to a deficit the insurance fund cannot cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum WaterfallMode {
    /// Close the bankrupt position against top-ranked profitable positions.
    Adl = 0,
    /// Spread the deficit pro-rata over the opposite side's profitable positions.
    Socialized = 1,
}

impl TryFrom<u8> for WaterfallMode {
    type Error = Error;
    fn try_from(v: u8) -> Result<Self> {
        match v {
            0 => Ok(Self::Adl),
            1 => Ok(Self::Socialized),
            _ => err!(ErrorCode::InvalidMarketConfig),
        }
    }
}

/// A position-notional bracket and its margin rates.
#[zero_copy]
#[derive(Debug, Default, BorshSerialize, BorshDeserialize, PartialEq, Eq)]
#[borsh(crate = "anchor_lang::prelude::borsh")]
pub struct RiskTier {
    /// quote atoms; positions with notional up to this fall in this tier.
    pub max_notional: u64,
    /// ppm of notional; initial margin (max leverage = 1e6 / this).
    pub initial_margin_ppm: u32,
    /// ppm of notional; maintenance margin.
    pub maint_margin_ppm: u32,
}
const_assert_eq!(core::mem::size_of::<RiskTier>(), 16);

/// The account format of one oracle feed, chosen per feed in the market
/// config (`OracleConfig::feed_kinds`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum FeedKind {
    /// A legacy Pyth v2 (Solana push) price account, owned by
    /// `Exchange::pyth_program`; its feed id is zero in the config.
    PythLegacy = 0,
    /// A Pyth pull-oracle `PriceUpdateV2` account, owned by
    /// `Exchange::pyth_receiver`, fully verified, for the config's feed id.
    PythPull = 1,
}

impl TryFrom<u8> for FeedKind {
    type Error = Error;
    fn try_from(v: u8) -> Result<Self> {
        match v {
            0 => Ok(Self::PythLegacy),
            1 => Ok(Self::PythPull),
            _ => err!(ErrorCode::InvalidFeedKind),
        }
    }
}

#[zero_copy]
#[derive(Debug, Default, BorshSerialize, BorshDeserialize, PartialEq, Eq)]
#[borsh(crate = "anchor_lang::prelude::borsh")]
pub struct OracleConfig {
    /// Pyth price accounts; the first `num_feeds` are used.
    pub feeds: [Pubkey; MAX_ORACLE_FEEDS],
    /// seconds; a price older than this is stale.
    pub max_staleness_secs: u32,
    /// bps of price; wider confidence is rejected.
    pub max_conf_bps: u16,
    /// bps; a feed further than this from the median is dropped.
    pub max_deviation_bps: u16,
    pub num_feeds: u8,
    /// fewest agreeing feeds needed for an index.
    pub min_feeds: u8,
    /// `FeedKind` of each feed as u8 (0 = Pyth legacy v2, 1 = Pyth pull
    /// `PriceUpdateV2`); 0 in unused slots.
    pub feed_kinds: [u8; MAX_ORACLE_FEEDS],
    pub padding: [u8; 3],
    /// The Pyth feed id of each pull feed (the price message's `feed_id`,
    /// checked on every read); all zero for legacy feeds and unused slots.
    pub feed_ids: [[u8; 32]; MAX_ORACLE_FEEDS],
}
const_assert_eq!(
    core::mem::size_of::<OracleConfig>(),
    112 + 32 * MAX_ORACLE_FEEDS
);
const_assert_eq!(core::mem::size_of::<OracleConfig>() % 8, 0);

impl OracleConfig {
    /// The kind of feed `i`.
    pub fn feed_kind(&self, i: usize) -> Result<FeedKind> {
        FeedKind::try_from(self.feed_kinds[i])
    }
}

/// Everything the operator configures about a market. All of it is checked
/// against the exchange's bounds (`engine::params::validate_market_config`).
#[zero_copy]
#[derive(Debug, BorshSerialize, BorshDeserialize, PartialEq, Eq)]
#[borsh(crate = "anchor_lang::prelude::borsh")]
pub struct MarketConfig {
    pub oracle: OracleConfig,
    pub tiers: [RiskTier; MAX_RISK_TIERS],
    /// price units (1e-6 quote per base unit); order prices are multiples.
    pub tick_size: u64,
    /// base lots in one base unit (a power of ten; 10_000 = 0.0001 BTC lots).
    pub base_lots_per_unit: u64,
    /// base lots; smallest order.
    pub min_order_lots: u64,
    /// base lots; largest order.
    pub max_order_lots: u64,
    /// base lots; cap on the long side's total position.
    pub open_interest_cap_lots: u64,
    /// base lots; cap on one seat's absolute position.
    pub position_limit_lots: u64,
    /// quote atoms; most the insurance fund pays this market per period.
    pub insurance_cover_cap: u64,
    /// ppm of notional; negative = rebate.
    pub taker_fee_ppm: i32,
    /// ppm of notional; negative = rebate.
    pub maker_fee_ppm: i32,
    /// ppm of fee revenue to the insurance fund (rest to the treasury).
    pub insurance_fee_share_ppm: u32,
    /// ppm of closed notional charged on liquidation.
    pub liquidation_fee_ppm: u32,
    /// ppm of the liquidation fee paid to the keeper (rest to insurance).
    pub keeper_liquidation_share_ppm: u32,
    /// bps around the index within which orders and fills must lie.
    pub price_band_bps: u32,
    /// seconds between funding updates.
    pub funding_interval_secs: u32,
    /// ppm of index per interval; funding rate cap.
    pub funding_cap_ppm: u32,
    /// seconds; time constant of the basis moving average.
    pub mark_ema_secs: u32,
    /// ppm of the mark-to-bankruptcy distance a taking-over keeper gets.
    pub takeover_discount_ppm: u32,
    /// seconds; period of `insurance_cover_cap`.
    pub insurance_cover_period_secs: u32,
    /// Positions in this tier index or above are liquidated partially.
    pub partial_liquidation_tier: u8,
    pub num_tiers: u8,
    /// `WaterfallMode` as u8.
    pub waterfall_mode: u8,
    pub padding: [u8; 1],
    /// quote atoms; the depth an impact bid or ask must reach before the
    /// book gives the mark a basis sample (`engine::mark`).
    pub impact_notional: u64,
    /// bps of the index; the most one update may move the basis average.
    pub mark_max_move_bps: u32,
    pub padding2: [u8; 4],
    /// quote atoms; the least collateral a deposit that claims a new seat
    /// must bring. A flat seat with no orders below it may be evicted by
    /// anyone (`evict_seat`), its collateral returned to its owner.
    pub min_seat_collateral: u64,
    /// quote atoms; the least notional of an order at its price (market
    /// orders at the band edge). A reduce-only order that closes a whole
    /// position smaller than this is still accepted.
    pub min_order_notional: u64,
    pub reserved: [u8; 32],
}
const_assert_eq!(
    core::mem::size_of::<MarketConfig>(),
    core::mem::size_of::<OracleConfig>() + 128 + 56 + 44 + 4 + 64
);
const_assert_eq!(core::mem::size_of::<MarketConfig>() % 8, 0);

/// Live state, written by the program only.
#[zero_copy]
#[derive(Debug, PartialEq, Eq)]
pub struct MarketState {
    /// price units; last index from the oracles (0 = never set).
    pub index_price: u64,
    /// unix seconds of the oracle publish time behind `index_price`.
    pub index_publish_ts: i64,
    /// unix seconds when the index was last refreshed.
    pub index_updated_ts: i64,
    /// price units; oracle-based mark.
    pub mark_price: u64,
    /// price units (signed); moving average of book mid or last trade minus index.
    pub basis_ema: i64,
    /// price units; last fill price.
    pub last_trade_price: u64,
    /// unix seconds; last mark update.
    pub mark_updated_ts: i64,
    /// quote atoms per base lot, scaled by `FUNDING_PRECISION`; cumulative.
    pub cum_funding_per_lot: PodI128,
    /// unix seconds; last funding update.
    pub last_funding_ts: i64,
    /// base lots; total long position (= total short position).
    pub open_interest_lots: u64,
    /// quote atoms; Σ seat collateral (kept in step for the on-chain invariant).
    pub total_collateral: i64,
    /// quote atoms; fees owed to the insurance fund, not yet swept.
    pub unswept_insurance_fees: u64,
    /// quote atoms; fees owed to the treasury, not yet swept.
    pub unswept_treasury_fees: u64,
    /// quote atoms; all deposits ever.
    pub total_deposits: u64,
    /// quote atoms; all withdrawals ever.
    pub total_withdrawals: u64,
    /// next order id to assign.
    pub next_order_id: u64,
    /// how many feeds made the last index.
    pub index_feeds_used: u8,
    pub padding: [u8; 7],
    /// quote atoms; Σ seat entry_cost (the seats' quote positions, negated).
    pub total_entry_cost: i64,
    /// Σ seat base_lots × funding_snapshot (FUNDING_PRECISION-scaled quote
    /// atoms): lets the program know the funding all seats owe in O(1).
    pub sum_base_snapshot: PodI128,
    /// FUNDING_PRECISION-scaled quote atoms collected by rounding funding
    /// payments against traders, not yet moved to fees.
    pub funding_dust: PodI128,
    /// Σ mark × seconds since `twap_start_ts` (price units × s).
    pub mark_twap_acc: PodI128,
    /// Σ index × seconds since `twap_start_ts` (price units × s).
    pub index_twap_acc: PodI128,
    /// unix seconds; start of the current funding averaging window.
    pub twap_start_ts: i64,
    /// unix seconds; last accumulation into the TWAPs.
    pub twap_last_ts: i64,
    /// ppm per interval (signed); the last funding rate applied.
    pub last_funding_rate_ppm: i64,
    /// fills ever.
    pub fill_count: u64,
    /// quote atoms; fee revenue ever (net of rebates, incl. rounding).
    pub total_fees: u64,
    /// FUNDING_PRECISION-scaled quote atoms per base lot charged to each
    /// side by socialized losses, cumulative: [long side, short side].
    pub social_loss_per_lot: [PodI128; 2],
    /// Σ |base_lots| × loss_snapshot over the seats of each side.
    pub sum_loss_snapshot: [PodI128; 2],
    /// unix seconds of the last fill on the book.
    pub last_trade_ts: i64,
    /// price units (signed); the basis sample taken at the last mark
    /// update (impact mid − index, 0 without depth). It is weighted by the
    /// time it holds, at the next update.
    pub basis_sample: i64,
}
const_assert_eq!(
    core::mem::size_of::<MarketState>(),
    8 * 7 + 16 + 8 * 8 + 8 + 8 + 16 * 4 + 8 * 5 + 64 + 16
);

impl Default for MarketConfig {
    fn default() -> Self {
        bytemuck::Zeroable::zeroed()
    }
}

impl Default for MarketState {
    fn default() -> Self {
        bytemuck::Zeroable::zeroed()
    }
}

/// The risk waterfall's running state.
#[zero_copy]
#[derive(Debug, PartialEq, Eq)]
pub struct WaterfallState {
    /// quote atoms; liquidation fees owed to the insurance fund, not yet swept.
    pub unswept_liquidation_fees: u64,
    /// unix seconds the cover bucket was last filled (`engine::cover`).
    pub cover_period_start: i64,
    /// quote atoms; the rolling cover bucket's level at `cover_period_start`
    /// (drains at `insurance_cover_cap` per `insurance_cover_period_secs`).
    pub cover_used_in_period: u64,
    /// quote atoms; insurance cover received ever.
    pub total_cover: u64,
    /// quote atoms; deficits socialized ever.
    pub total_socialized: u64,
    pub liquidations: u64,
    pub adl_events: u64,
    pub socialized_events: u64,
    pub bankruptcies: u64,
    /// 0 = normal, 1 = raised initial margin, 2 = reduce-only (coverage).
    pub tightening_level: u8,
    pub padding: [u8; 3],
    /// ppm; initial-margin multiplier applied while `tightening_level` ≥ 1.
    pub tightened_im_multiplier_ppm: u32,
    /// quote atoms; deficits ADL or socialized loss could not place ever
    /// (left on the bankrupt seats as negative collateral).
    pub total_unpaid_deficit: u64,
    pub reserved: [u8; 56],
}
const_assert_eq!(
    core::mem::size_of::<WaterfallState>(),
    8 * 5 + 8 * 4 + 8 + 64
);

impl Default for WaterfallState {
    fn default() -> Self {
        bytemuck::Zeroable::zeroed()
    }
}

/// Counterparties an ADL close takes at most (`engine::adl::ADL_BATCH`).
pub const ADL_ROUND_TOP: usize = 16;

/// A ranking round: ADL over a seat table too large for one transaction
/// (`engine::adl_round`). While `active` is 1 the market's positions and
/// equities are frozen: only cancels and the round's own instructions run.
#[zero_copy]
#[derive(Debug, PartialEq, Eq)]
pub struct AdlRound {
    /// 1 while a round is open.
    pub active: u8,
    /// side of the bankrupt target: 0 long, 1 short.
    pub target_side: u8,
    pub padding: [u8; 2],
    /// counterparties held in `top`.
    pub top_len: u32,
    /// seat index named at `adl_begin`.
    pub target: u32,
    /// next seat index to rank; the scan is done at `cursor == seat_count`.
    pub cursor: u32,
    /// the most bankrupt seat of the target's side ranked so far
    /// (`u32::MAX`: none yet).
    pub first_bankrupt: u32,
    /// `seat_count` at begin (the table cannot change during a round).
    pub seat_count: u32,
    /// owner of `target` at begin.
    pub target_owner: Pubkey,
    /// quote atoms; the deficit (−equity) of `first_bankrupt`.
    pub first_deficit: PodI128,
    /// price units; the mark at begin, at which the round closes.
    pub mark: u64,
    /// slot of `adl_begin`.
    pub started_slot: u64,
    /// rounds begun ever.
    pub rounds: u64,
    /// the best-ranked counterparties so far, best first (seat indices).
    pub top: [u32; ADL_ROUND_TOP],
    /// the first slot at which a new round may begin (after a round that
    /// ended with no close: `engine::adl_round::ADL_ROUND_COOLDOWN_SLOTS`).
    pub next_begin_slot: u64,
}
const_assert_eq!(core::mem::size_of::<AdlRound>(), 168);

impl Default for AdlRound {
    fn default() -> Self {
        bytemuck::Zeroable::zeroed()
    }
}

/// Market header. The book and the seats follow it in the same account.
#[account(zero_copy)]
#[derive(Debug)]
pub struct Market {
    pub version: u8,
    /// `MarketStatus` as u8.
    pub status: u8,
    pub vault_bump: u8,
    pub padding0: [u8; 5],
    pub exchange: Pubkey,
    pub vault: Pubkey,
    /// UTF-8, zero padded ("BTC-PERP").
    pub name: [u8; 16],
    /// seats in the table now: the account holds exactly this many. It
    /// grows by one when a seat is claimed at index `seat_count` and
    /// shrinks by one when a seat is released or evicted.
    pub seat_count: u32,
    /// orders per side (fixed at creation).
    pub book_capacity: u32,
    /// seats with an owner (= `seat_count`: freed seats are swap-removed).
    pub seats_used: u32,
    /// resting bids / asks.
    pub num_bids: u32,
    pub num_asks: u32,
    /// index in the exchange (creation order).
    pub market_index: u32,
    /// the most seats the table may grow to (fixed at creation).
    pub max_seats: u32,
    pub padding1: [u8; 4],
    pub config: MarketConfig,
    pub state: MarketState,
    pub waterfall: WaterfallState,
    /// The multi-transaction ADL ranking round (`engine::adl_round`).
    pub adl_round: AdlRound,
}
const_assert_eq!(
    core::mem::size_of::<Market>(),
    8 + 64
        + 16
        + 32
        + core::mem::size_of::<MarketConfig>()
        + core::mem::size_of::<MarketState>()
        + core::mem::size_of::<WaterfallState>()
        + core::mem::size_of::<AdlRound>()
);
const_assert_eq!(core::mem::size_of::<Market>() % 8, 0);

// The market account's layout (offsets in the account data; every client
// uses these, and `layout_tests` pins them):
//
//   [0, 8)                      Anchor discriminator
//   [MARKET_HEADER_OFFSET, ..)  `Market` (1,096 bytes)
//   [BOOK_OFFSET, ..)           bids: book_capacity × Order (48 B), then asks
//   [seats_offset(book), ..)    seats: seat_count × Seat (128 B), last
//
// The seat table comes last so that it can grow at the end of the account
// (issue 12, docs/scale.md) without moving the book.

/// Byte offset of the `Market` header.
pub const MARKET_HEADER_OFFSET: usize = 8;
/// Byte offset of the book (bids, then asks), right after the header.
pub const BOOK_OFFSET: usize = MARKET_HEADER_OFFSET + core::mem::size_of::<Market>();

/// Byte offset of the seat table, after both sides of the book.
pub const fn seats_offset(book_capacity: u32) -> usize {
    BOOK_OFFSET + 2 * book_capacity as usize * core::mem::size_of::<Order>()
}

impl Market {
    pub fn status(&self) -> Result<MarketStatus> {
        MarketStatus::try_from(self.status)
    }

    /// Account size with `seat_count` seats and `book_capacity` orders a side.
    pub fn account_size(seat_count: u32, book_capacity: u32) -> usize {
        seats_offset(book_capacity) + seat_count as usize * core::mem::size_of::<Seat>()
    }

    /// The account size with the current seat table.
    pub fn current_size(&self) -> usize {
        Self::account_size(self.seat_count, self.book_capacity)
    }

    /// Fails with `AdlRoundActive` while a ranking round freezes the market.
    pub fn require_not_frozen(&self) -> Result<()> {
        require!(self.adl_round.active == 0, ErrorCode::AdlRoundActive);
        Ok(())
    }

    pub fn name_str(&self) -> &str {
        let end = self.name.iter().position(|b| *b == 0).unwrap_or(16);
        core::str::from_utf8(&self.name[..end]).unwrap_or("?")
    }
}

/// A mutable view over a whole market account: header, seats and book.
/// The engine works on this; it is built from raw account bytes on-chain and
/// off-chain alike.
pub struct MarketMut<'a> {
    pub header: &'a mut Market,
    pub seats: &'a mut [Seat],
    pub bids: &'a mut [Order],
    pub asks: &'a mut [Order],
}

/// Read-only view (clients, auditors, the invariant checker).
pub struct MarketRef<'a> {
    pub header: &'a Market,
    pub seats: &'a [Seat],
    pub bids: &'a [Order],
    pub asks: &'a [Order],
}

fn split_sizes(data_len: usize, header: &Market) -> Result<(usize, usize)> {
    let seat_bytes = header.seat_count as usize * core::mem::size_of::<Seat>();
    let side_bytes = header.book_capacity as usize * core::mem::size_of::<Order>();
    require!(
        data_len >= BOOK_OFFSET + 2 * side_bytes + seat_bytes,
        ErrorCode::WrongMarketSize
    );
    Ok((seat_bytes, side_bytes))
}

impl<'a> MarketMut<'a> {
    /// `data` is the whole account data, discriminator included. Fails with
    /// `AdlRoundActive` while an ADL ranking round freezes the market: an
    /// instruction that writes the market is refused then unless it opens
    /// the view with [`Self::from_bytes_in_round`] (cancels and the round's
    /// own instructions).
    pub fn from_bytes(data: &'a mut [u8]) -> Result<Self> {
        let m = Self::from_bytes_in_round(data)?;
        m.header.require_not_frozen()?;
        Ok(m)
    }

    /// The view whether or not a ranking round is open.
    pub fn from_bytes_in_round(data: &'a mut [u8]) -> Result<Self> {
        require!(data.len() >= BOOK_OFFSET, ErrorCode::WrongMarketSize);
        require!(
            &data[..8] == Market::DISCRIMINATOR,
            ErrorCode::MalformedMarket
        );
        let len = data.len();
        let (head, rest) =
            data[MARKET_HEADER_OFFSET..].split_at_mut(core::mem::size_of::<Market>());
        let header: &mut Market =
            bytemuck::try_from_bytes_mut(head).map_err(|_| error!(ErrorCode::MalformedMarket))?;
        let (seat_bytes, side_bytes) = split_sizes(len, header)?;
        let (bids, rest) = rest.split_at_mut(side_bytes);
        let (asks, rest) = rest.split_at_mut(side_bytes);
        let seats = &mut rest[..seat_bytes];
        Ok(Self {
            header,
            seats: cast_slice_mut(seats)?,
            bids: cast_slice_mut(bids)?,
            asks: cast_slice_mut(asks)?,
        })
    }

    pub fn as_ref(&self) -> MarketRef<'_> {
        MarketRef {
            header: self.header,
            seats: self.seats,
            bids: self.bids,
            asks: self.asks,
        }
    }
}

impl<'a> MarketRef<'a> {
    /// `data` is the whole account data, discriminator included.
    pub fn from_bytes(data: &'a [u8]) -> Result<Self> {
        require!(data.len() >= BOOK_OFFSET, ErrorCode::WrongMarketSize);
        require!(
            &data[..8] == Market::DISCRIMINATOR,
            ErrorCode::MalformedMarket
        );
        let (head, rest) = data[MARKET_HEADER_OFFSET..].split_at(core::mem::size_of::<Market>());
        let header: &Market =
            bytemuck::try_from_bytes(head).map_err(|_| error!(ErrorCode::MalformedMarket))?;
        let (seat_bytes, side_bytes) = split_sizes(data.len(), header)?;
        let (bids, rest) = rest.split_at(side_bytes);
        let (asks, rest) = rest.split_at(side_bytes);
        let seats = &rest[..seat_bytes];
        Ok(Self {
            header,
            seats: cast_slice(seats)?,
            bids: cast_slice(bids)?,
            asks: cast_slice(asks)?,
        })
    }
}

fn cast_slice<T: bytemuck::Pod>(b: &[u8]) -> Result<&[T]> {
    bytemuck::try_cast_slice(b).map_err(|_| error!(ErrorCode::MalformedMarket))
}

fn cast_slice_mut<T: bytemuck::Pod>(b: &mut [u8]) -> Result<&mut [T]> {
    bytemuck::try_cast_slice_mut(b).map_err(|_| error!(ErrorCode::MalformedMarket))
}

#[cfg(test)]
mod layout_tests {
    use super::*;

    /// The figures in BENCHMARKS.md; a layout change must update both.
    #[test]
    fn account_sizes() {
        assert_eq!(core::mem::size_of::<Seat>(), 128);
        assert_eq!(core::mem::size_of::<Order>(), 48);
        assert_eq!(core::mem::size_of::<OracleConfig>(), 208);
        assert_eq!(core::mem::size_of::<Market>(), 1_272);
        assert_eq!(core::mem::size_of::<AdlRound>(), 168);
        assert_eq!(MARKET_HEADER_OFFSET, 8);
        assert_eq!(BOOK_OFFSET, 1_280);
        assert_eq!(seats_offset(256), 1_280 + 24_576);
        assert_eq!(seats_offset(0), BOOK_OFFSET);
        // A new market (migrations/localnet.toml: 256 orders per side) has
        // no seats: 25,856 bytes; each seat claimed adds 128.
        assert_eq!(Market::account_size(0, 256), 25_856);
        assert_eq!(Market::account_size(1_024, 256), 156_928);
        // The largest table, 65,536 seats, with the largest book (1,024 a
        // side) stays under the 10 MiB account limit.
        assert!(Market::account_size(65_536, 1_024) <= 10 * 1024 * 1024);
        assert_eq!(crate::state::Exchange::SPACE, 872);
        assert_eq!(crate::state::InsuranceFund::SPACE, 512);
    }
}

#[cfg(test)]
mod layout_order_tests {
    use super::*;

    /// The views land at the named offsets: book first, seats last.
    #[test]
    fn views_sit_at_the_named_offsets() {
        let (seats, book) = (5u32, 3u32);
        let mut data = vec![0u8; Market::account_size(seats, book)];
        data[..8].copy_from_slice(Market::DISCRIMINATOR);
        {
            let h: &mut Market =
                bytemuck::from_bytes_mut(&mut data[MARKET_HEADER_OFFSET..BOOK_OFFSET]);
            h.seat_count = seats;
            h.book_capacity = book;
        }
        // Words aligned for the casts: copy into u64s.
        let mut words = vec![0u64; data.len().div_ceil(8)];
        bytemuck::cast_slice_mut::<u64, u8>(&mut words)[..data.len()].copy_from_slice(&data);
        let len = data.len();
        let bytes = &mut bytemuck::cast_slice_mut::<u64, u8>(&mut words)[..len];
        let base = bytes.as_ptr() as usize;
        let m = MarketMut::from_bytes(bytes).unwrap();
        assert_eq!(m.bids.as_ptr() as usize - base, BOOK_OFFSET);
        assert_eq!(
            m.asks.as_ptr() as usize - base,
            BOOK_OFFSET + book as usize * core::mem::size_of::<Order>()
        );
        assert_eq!(m.seats.as_ptr() as usize - base, seats_offset(book));
        assert_eq!(m.seats.len(), seats as usize);
        assert_eq!(
            seats_offset(book) + seats as usize * core::mem::size_of::<Seat>(),
            len
        );
    }
}
