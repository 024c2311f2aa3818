//! Positions (liquidation price, ADL rank) and markets, read with the engine.

use super::usd;
use crate::chain_trait::Chain;
use crate::client::{self, MarketAccount};
use anchor_lang::prelude::Pubkey;
use bulwark::engine::book::best_price;
use bulwark::engine::{adl, collateral, margin};
use bulwark::state::{MarketConfig, MarketRef, MarketState, Seat};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct OpenOrder {
    pub order_id: u64,
    pub client_order_id: u64,
    pub side: &'static str,
    /// USD per base unit.
    pub price: f64,
    pub lots: u64,
    pub reduce_only: bool,
    pub post_only: bool,
    pub expiry_ts: i64,
}

#[derive(Debug, Serialize)]
pub struct PositionView {
    pub market: String,
    pub name: String,
    /// the seat's index in the market's seat table (`--seat`).
    pub seat: u32,
    /// base lots (+ long, − short).
    pub base_lots: i64,
    /// base units.
    pub size: f64,
    /// USD per base unit (entry cost / size); None when flat.
    pub entry_price: Option<f64>,
    /// USD per base unit.
    pub mark: f64,
    pub index: f64,
    /// USD.
    pub collateral: f64,
    pub unrealized_pnl: f64,
    pub equity: f64,
    /// Equity minus the maintenance requirement of position and orders.
    pub maint_health: f64,
    /// What may be withdrawn now.
    pub withdrawable: f64,
    /// notional / equity at the mark.
    pub leverage: Option<f64>,
    /// USD per base unit: the price at which maintenance health crosses
    /// zero (None: flat, or no such price).
    pub liquidation_price: Option<f64>,
    /// 1–5 within the position's side (5 = first to be auto-deleveraged).
    pub adl_quantile: Option<u8>,
    pub open_orders: Vec<OpenOrder>,
}

/// The price (price units) at which the seat's maintenance health crosses
/// zero, found by bisection on `margin::maint_health` with everything but
/// the price held fixed: for a long the highest price where health < 0,
/// for a short the lowest. None when flat or when no price in range makes
/// health negative.
pub fn liquidation_price(cfg: &MarketConfig, st: &MarketState, seat: &Seat) -> Option<u64> {
    if seat.base_lots == 0 {
        return None;
    }
    let unhealthy = |p: u64| {
        margin::maint_health(cfg, st, seat, p)
            .map(|h| h < 0)
            .unwrap_or(true)
    };
    let reference = margin::risk_price(st).max(1);
    const CAP: u64 = u64::MAX / 4;
    if seat.base_lots > 0 {
        // Health grows with the price: the highest p with health < 0.
        if !unhealthy(1) {
            return None;
        }
        let (mut lo, mut hi) = (1u64, reference);
        while unhealthy(hi) {
            lo = hi;
            if hi >= CAP {
                return Some(hi);
            }
            hi = hi.saturating_mul(2).min(CAP);
        }
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if unhealthy(mid) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Some(lo)
    } else {
        // Health falls as the price rises: the lowest p with health < 0.
        let mut lo = reference;
        while unhealthy(lo) {
            if lo == 1 {
                return Some(1);
            }
            lo /= 2;
        }
        let mut hi = lo;
        while !unhealthy(hi) {
            if hi >= CAP {
                return None;
            }
            lo = hi;
            hi = hi.saturating_mul(2).min(CAP);
        }
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if unhealthy(mid) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Some(hi)
    }
}

fn open_orders(m: &MarketRef, seat: usize) -> Vec<OpenOrder> {
    use bulwark::state::order_flags;
    let mut out = Vec::new();
    for (side, orders, n) in [
        ("buy", m.bids, m.header.num_bids),
        ("sell", m.asks, m.header.num_asks),
    ] {
        for o in orders[..n as usize]
            .iter()
            .filter(|o| o.seat as usize == seat)
        {
            out.push(OpenOrder {
                order_id: o.order_id,
                client_order_id: o.client_order_id,
                side,
                price: usd(o.price as i128),
                lots: o.lots,
                reduce_only: o.flags & order_flags::REDUCE_ONLY != 0,
                post_only: o.flags & order_flags::POST_ONLY != 0,
                expiry_ts: o.expiry_ts,
            });
        }
    }
    out.sort_by_key(|o| o.order_id);
    out
}

/// `owner`'s position in one market (its first seat), or None when it has
/// no seat there.
pub fn position_in(m: &MarketAccount, owner: &Pubkey) -> Option<PositionView> {
    let v = m.view();
    position_at(m, collateral::find_seat(v.seats, owner)?)
}

/// The position of every seat `owner` holds in one market, in seat order
/// (a wallet may hold several isolated seats).
pub fn positions_in(m: &MarketAccount, owner: &Pubkey) -> Vec<PositionView> {
    let v = m.view();
    if *owner == Pubkey::default() {
        return Vec::new();
    }
    (0..v.seats.len())
        .filter(|&i| v.seats[i].owner == *owner)
        .filter_map(|i| position_at(m, i))
        .collect()
}

/// The position held in seat `seat_idx` of one market.
pub fn position_at(m: &MarketAccount, seat_idx: usize) -> Option<PositionView> {
    let v = m.view();
    let s = v.seats.get(seat_idx)?;
    let cfg = &v.header.config;
    let st = &v.header.state;
    let lpu = cfg.base_lots_per_unit.max(1);
    let price = margin::risk_price(st);
    let upnl = if price > 0 {
        margin::unrealized_pnl(s, price, lpu).unwrap_or(0)
    } else {
        0
    };
    let equity = if price > 0 {
        margin::equity(s, st, lpu, price, true).unwrap_or(0)
    } else {
        s.collateral as i128
    };
    let health = if price > 0 {
        margin::maint_health(cfg, st, s, price).unwrap_or(0)
    } else {
        equity
    };
    let withdrawable = if price > 0 {
        margin::withdrawable(cfg, st, s, price).unwrap_or(0)
    } else {
        s.collateral.max(0) as u64
    };
    let notional = margin::notional_ceil(s.base_lots.unsigned_abs(), price, lpu).unwrap_or(0);
    let quantile = adl::adl_quantiles(&v)
        .ok()
        .and_then(|q| q.iter().find(|(i, _)| *i == seat_idx).map(|(_, q)| *q));
    let size = s.base_lots as f64 / lpu as f64;
    Some(PositionView {
        market: m.key.to_string(),
        name: v.header.name_str().to_string(),
        seat: seat_idx as u32,
        base_lots: s.base_lots,
        size,
        entry_price: (s.base_lots != 0).then(|| usd(s.entry_cost as i128) / size),
        mark: usd(st.mark_price as i128),
        index: usd(st.index_price as i128),
        collateral: usd(s.collateral as i128),
        unrealized_pnl: usd(upnl as i128),
        equity: usd(equity),
        maint_health: usd(health),
        withdrawable: usd(withdrawable as i128),
        leverage: (s.base_lots != 0 && equity > 0).then(|| notional as f64 / equity as f64),
        liquidation_price: liquidation_price(cfg, st, s).map(|p| usd(p as i128)),
        adl_quantile: quantile,
        open_orders: open_orders(&v, seat_idx),
    })
}

/// `owner`'s positions in the given markets (every market when empty).
pub async fn positions<C: Chain>(
    chain: &mut C,
    owner: &Pubkey,
    markets: &[String],
) -> Result<Vec<PositionView>, String> {
    Ok(client::select_markets(chain, markets)
        .await?
        .iter()
        .flat_map(|m| positions_in(m, owner))
        .collect())
}

// ------------------------------------------------------------ markets

#[derive(Debug, Serialize)]
pub struct TierView {
    /// USD.
    pub max_notional: f64,
    pub initial_margin_ppm: u32,
    pub maint_margin_ppm: u32,
}

#[derive(Debug, Serialize)]
pub struct MarketView {
    pub market: String,
    pub name: String,
    pub status: String,
    pub waterfall_mode: String,
    /// USD per base unit.
    pub index: f64,
    pub mark: f64,
    pub best_bid: Option<f64>,
    pub best_ask: Option<f64>,
    pub tick_size: f64,
    pub base_lots_per_unit: u64,
    pub min_order_lots: u64,
    pub max_order_lots: u64,
    pub open_interest_lots: u64,
    pub last_funding_rate_ppm: i64,
    pub taker_fee_ppm: i32,
    pub maker_fee_ppm: i32,
    pub price_band_bps: u32,
    pub seats_used: u32,
    pub seat_count: u32,
    pub max_seats: u32,
    pub resting_bids: u32,
    pub resting_asks: u32,
    pub tightening_level: u8,
    pub tiers: Vec<TierView>,
}

pub fn market_view(m: &MarketAccount) -> MarketView {
    let v = m.view();
    let h = v.header;
    let c = &h.config;
    MarketView {
        market: m.key.to_string(),
        name: h.name_str().to_string(),
        status: h
            .status()
            .map(|s| format!("{s:?}"))
            .unwrap_or_else(|_| format!("status{}", h.status)),
        waterfall_mode: if c.waterfall_mode == 1 {
            "socialized".into()
        } else {
            "adl".into()
        },
        index: usd(h.state.index_price as i128),
        mark: usd(h.state.mark_price as i128),
        best_bid: best_price(v.bids, h.num_bids).map(|p| usd(p as i128)),
        best_ask: best_price(v.asks, h.num_asks).map(|p| usd(p as i128)),
        tick_size: usd(c.tick_size as i128),
        base_lots_per_unit: c.base_lots_per_unit,
        min_order_lots: c.min_order_lots,
        max_order_lots: c.max_order_lots,
        open_interest_lots: h.state.open_interest_lots,
        last_funding_rate_ppm: h.state.last_funding_rate_ppm,
        taker_fee_ppm: c.taker_fee_ppm,
        maker_fee_ppm: c.maker_fee_ppm,
        price_band_bps: c.price_band_bps,
        seats_used: h.seats_used,
        seat_count: h.seat_count,
        max_seats: h.max_seats,
        resting_bids: h.num_bids,
        resting_asks: h.num_asks,
        tightening_level: h.waterfall.tightening_level,
        tiers: c.tiers[..c.num_tiers as usize]
            .iter()
            .map(|t| TierView {
                max_notional: usd(t.max_notional as i128),
                initial_margin_ppm: t.initial_margin_ppm,
                maint_margin_ppm: t.maint_margin_ppm,
            })
            .collect(),
    }
}

pub async fn markets<C: Chain>(chain: &mut C) -> Vec<MarketView> {
    client::list_markets(chain)
        .await
        .iter()
        .map(market_view)
        .collect()
}
