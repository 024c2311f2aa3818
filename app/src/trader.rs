//! What a trader does, over any [`Chain`]: deposit, withdraw, order,
//! cancel, positions (with liquidation price and ADL rank, computed with
//! the program's own engine), markets, stake and unstake. The CLI commands
//! are thin wrappers around these functions, which the tests run on the
//! embedded chain.

use crate::chain::TxOk;
use crate::chain_trait::Chain;
use crate::client::{self, describe_error, MarketAccount};
use crate::ix;
use anchor_lang::prelude::Pubkey;
use anchor_lang::{AnchorDeserialize, Discriminator};
use bulwark::engine::book::{best_price, Side};
use bulwark::engine::trade::{OrderParams, OrderType};
use bulwark::engine::{adl, collateral, margin, staking};
use bulwark::math::PRICE_PRECISION;
use bulwark::state::{MarketConfig, MarketRef, MarketState, OrderFilled, OrderPlaced, Seat};
use serde::Serialize;
use solana_keypair::Keypair;
use solana_signer::Signer;

fn usd(atoms: i128) -> f64 {
    atoms as f64 / PRICE_PRECISION as f64
}

/// USD to quote atoms / price units, rounded to the nearest.
pub fn usd_to_atoms(v: f64) -> Result<u64, String> {
    if !(v.is_finite() && v >= 0.0) {
        return Err(format!("not a non-negative amount: {v}"));
    }
    Ok((v * PRICE_PRECISION as f64).round() as u64)
}

async fn send<C: Chain>(
    chain: &mut C,
    ixs: &[solana_instruction::Instruction],
    signer: &Keypair,
) -> Result<TxOk, String> {
    chain
        .send(ixs, &[signer])
        .await
        .map_err(|e| describe_error(&e))
}

/// The collateral token account to use: `token` if given, else the
/// wallet's associated token account for the exchange's collateral mint.
pub async fn collateral_token<C: Chain>(
    chain: &mut C,
    owner: &Pubkey,
    token: Option<Pubkey>,
) -> Result<Pubkey, String> {
    if let Some(t) = token {
        return Ok(t);
    }
    let ex = client::exchange(chain)
        .await
        .ok_or("the exchange is not initialized on this cluster")?;
    Ok(client::associated_token_address(owner, &ex.collateral_mint))
}

/// What a deposit or withdrawal did.
#[derive(Debug, Serialize)]
pub struct CollateralReceipt {
    pub market: String,
    pub token_account: String,
    /// USD moved.
    pub amount: f64,
    /// USD in the seat afterwards.
    pub collateral_after: f64,
}

async fn seat_collateral<C: Chain>(chain: &mut C, market: &Pubkey, owner: &Pubkey) -> f64 {
    match client::fetch_market(chain, market).await {
        Ok(m) => {
            let v = m.view();
            collateral::find_seat(v.seats, owner)
                .map(|i| usd(v.seats[i].collateral as i128))
                .unwrap_or(0.0)
        }
        Err(_) => 0.0,
    }
}

/// Deposits `amount` quote atoms into the wallet's seat of `market` (a
/// name or address), claiming a seat if it has none.
pub async fn deposit<C: Chain>(
    chain: &mut C,
    wallet: &Keypair,
    market: &str,
    amount: u64,
    token: Option<Pubkey>,
) -> Result<CollateralReceipt, String> {
    let owner = wallet.pubkey();
    let m = client::find_market(chain, market).await?;
    let token = collateral_token(chain, &owner, token).await?;
    send(
        chain,
        &[ix::deposit(&owner, &m.key, &token, amount)],
        wallet,
    )
    .await?;
    Ok(CollateralReceipt {
        market: m.name(),
        token_account: token.to_string(),
        amount: usd(amount as i128),
        collateral_after: seat_collateral(chain, &m.key, &owner).await,
    })
}

/// Withdraws `amount` quote atoms (within margin) to the wallet's token
/// account (its associated account is created when missing).
pub async fn withdraw<C: Chain>(
    chain: &mut C,
    wallet: &Keypair,
    market: &str,
    amount: u64,
    token: Option<Pubkey>,
) -> Result<CollateralReceipt, String> {
    let owner = wallet.pubkey();
    let m = client::find_market(chain, market).await?;
    let mut ixs = Vec::new();
    if token.is_none() {
        let ex = client::exchange(chain)
            .await
            .ok_or("the exchange is not initialized on this cluster")?;
        ixs.push(client::create_associated_token_account_idempotent(
            &chain.payer_key(),
            &owner,
            &ex.collateral_mint,
        ));
    }
    let token = collateral_token(chain, &owner, token).await?;
    // With a position or orders the withdrawal needs a fresh index.
    let exposed = {
        let v = m.view();
        collateral::find_seat(v.seats, &owner)
            .map(|i| v.seats[i].base_lots != 0 || v.seats[i].num_orders > 0)
            .unwrap_or(false)
    };
    if exposed {
        ixs.push(ix::refresh_prices(&m.key, &m.feeds()));
    }
    ixs.push(ix::withdraw(&owner, &m.key, &token, amount));
    send(chain, &ixs, wallet).await?;
    Ok(CollateralReceipt {
        market: m.name(),
        token_account: token.to_string(),
        amount: usd(amount as i128),
        collateral_after: seat_collateral(chain, &m.key, &owner).await,
    })
}

/// An order as the CLI takes it.
#[derive(Debug, Clone)]
pub struct OrderRequest {
    pub side: Side,
    pub order_type: OrderType,
    /// USD per base unit; required except for market orders.
    pub price_usd: Option<f64>,
    pub lots: u64,
    pub reduce_only: bool,
    pub client_order_id: u64,
    /// unix seconds; 0 = never.
    pub expiry_ts: i64,
}

/// `limit`, `post-only`, `ioc`, `market` or `fok`.
pub fn parse_order_type(s: &str) -> Result<OrderType, String> {
    Ok(match s {
        "limit" => OrderType::Limit,
        "post-only" | "postonly" | "post_only" => OrderType::PostOnly,
        "ioc" | "immediate-or-cancel" => OrderType::ImmediateOrCancel,
        "market" => OrderType::Market,
        "fok" | "fill-or-kill" => OrderType::FillOrKill,
        o => {
            return Err(format!(
                "unknown order type {o:?} (limit, post-only, ioc, market, fok)"
            ))
        }
    })
}

/// `buy`/`bid`/`long` or `sell`/`ask`/`short`.
pub fn parse_side(s: &str) -> Result<Side, String> {
    Ok(match s {
        "buy" | "bid" | "long" => Side::Bid,
        "sell" | "ask" | "short" => Side::Ask,
        o => return Err(format!("unknown side {o:?} (buy or sell)")),
    })
}

#[derive(Debug, Serialize)]
pub struct FillLine {
    /// USD per base unit.
    pub price: f64,
    pub lots: u64,
    /// USD paid by the taker.
    pub fee: f64,
}

#[derive(Debug, Serialize)]
pub struct OrderReceipt {
    pub market: String,
    pub side: &'static str,
    pub order_type: String,
    pub lots: u64,
    pub filled_lots: u64,
    pub rested_lots: u64,
    /// id of the resting remainder (0 = nothing rests).
    pub order_id: u64,
    pub client_order_id: u64,
    pub fills: Vec<FillLine>,
    /// base lots before and after.
    pub position_before: i64,
    pub position_after: i64,
    /// Where the receipt comes from: the program's `events` in the logs,
    /// or the `accounts` before and after.
    pub source: &'static str,
}

/// Anchor `emit!` events in a transaction's logs (`Program data:` lines).
pub fn events_in_logs(logs: &[String]) -> Vec<Vec<u8>> {
    use base64::Engine;
    logs.iter()
        .filter_map(|l| l.strip_prefix("Program data: "))
        .filter_map(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .filter(|d| d.len() >= 8)
        .collect()
}

fn decode_event<E: AnchorDeserialize + Discriminator>(d: &[u8]) -> Option<E> {
    (d.len() >= 8 && &d[..8] == E::DISCRIMINATOR)
        .then(|| E::deserialize(&mut &d[8..]).ok())
        .flatten()
}

fn seat_lots(m: &MarketAccount, owner: &Pubkey) -> i64 {
    let v = m.view();
    collateral::find_seat(v.seats, owner)
        .map(|i| v.seats[i].base_lots)
        .unwrap_or(0)
}

/// Places an order, with `refresh_prices` in the same transaction (the
/// index must be fresh). The receipt comes from the program's events when
/// the chain returns logs, else from the seat's position change.
pub async fn place_order<C: Chain>(
    chain: &mut C,
    wallet: &Keypair,
    market: &str,
    req: &OrderRequest,
) -> Result<OrderReceipt, String> {
    let owner = wallet.pubkey();
    let m = client::find_market(chain, market).await?;
    let tick = m.view().header.config.tick_size;
    let price = match (req.order_type, req.price_usd) {
        (OrderType::Market, p) => p.map(usd_to_atoms).transpose()?.unwrap_or(0),
        (_, Some(p)) => usd_to_atoms(p)?,
        (_, None) => return Err("--price is required for this order type".into()),
    };
    if req.order_type != OrderType::Market && tick > 0 && price % tick != 0 {
        return Err(format!(
            "price {} is not a multiple of the tick size {}",
            usd(price as i128),
            usd(tick as i128)
        ));
    }
    let params = OrderParams {
        side: req.side,
        order_type: req.order_type,
        price,
        lots: req.lots,
        client_order_id: req.client_order_id,
        expiry_ts: req.expiry_ts,
        reduce_only: req.reduce_only,
    };
    let before = seat_lots(&m, &owner);
    let ok = send(
        chain,
        &[
            ix::refresh_prices(&m.key, &m.feeds()),
            ix::place_order(&owner, &m.key, params),
        ],
        wallet,
    )
    .await?;
    let after_m = client::fetch_market(chain, &m.key).await?;
    let after = seat_lots(&after_m, &owner);
    let mut receipt = OrderReceipt {
        market: m.name(),
        side: match req.side {
            Side::Bid => "buy",
            Side::Ask => "sell",
        },
        order_type: format!("{:?}", req.order_type),
        lots: req.lots,
        filled_lots: (after - before).unsigned_abs(),
        rested_lots: 0,
        order_id: 0,
        client_order_id: req.client_order_id,
        fills: Vec::new(),
        position_before: before,
        position_after: after,
        source: "",
    };
    for e in events_in_logs(&ok.logs) {
        if let Some(p) = decode_event::<OrderPlaced>(&e) {
            receipt.filled_lots = p.filled_lots;
            receipt.rested_lots = p.rested_lots;
            receipt.order_id = p.order_id;
        } else if let Some(f) = decode_event::<OrderFilled>(&e) {
            receipt.fills.push(FillLine {
                price: usd(f.price as i128),
                lots: f.lots,
                fee: usd(f.taker_fee as i128),
            });
        }
    }
    if !receipt.fills.is_empty() || receipt.order_id != 0 || receipt.rested_lots != 0 {
        receipt.source = "events";
    } else {
        // No events in the logs (a native build of the program logs to
        // stdout): read the outcome from the accounts — fills from what
        // the opposite side of the book lost, in price-time priority.
        receipt.source = "accounts";
        let (pre, post) = (m.view(), after_m.view());
        let seat = collateral::find_seat(post.seats, &owner);
        let (pre_side, post_side, n_pre, n_post) = match req.side {
            Side::Bid => (
                pre.asks,
                post.asks,
                pre.header.num_asks,
                post.header.num_asks,
            ),
            Side::Ask => (
                pre.bids,
                post.bids,
                pre.header.num_bids,
                post.header.num_bids,
            ),
        };
        let mut makers: Vec<_> = pre_side[..n_pre as usize]
            .iter()
            .filter(|o| Some(o.seat as usize) != seat)
            .collect();
        makers.sort_by_key(|o| {
            let p = match req.side {
                Side::Bid => o.price as i128,
                Side::Ask => -(o.price as i128),
            };
            (p, o.order_id)
        });
        let mut left = receipt.filled_lots;
        let cfg = &pre.header.config;
        for o in makers {
            if left == 0 {
                break;
            }
            let now_lots = post_side[..n_post as usize]
                .iter()
                .find(|x| x.order_id == o.order_id)
                .map(|x| x.lots)
                .unwrap_or(0);
            let lots = o.lots.saturating_sub(now_lots).min(left);
            if lots == 0 {
                continue;
            }
            left -= lots;
            let notional =
                margin::notional_ceil(lots, o.price, cfg.base_lots_per_unit).unwrap_or(0);
            let fee = (notional as i128 * cfg.taker_fee_ppm as i128).div_euclid(1_000_000)
                + ((notional as i128 * cfg.taker_fee_ppm as i128).rem_euclid(1_000_000) != 0)
                    as i128;
            receipt.fills.push(FillLine {
                price: usd(o.price as i128),
                lots,
                fee: usd(fee),
            });
        }
        if let Some(seat) = seat {
            let book = post.bids[..post.header.num_bids as usize]
                .iter()
                .chain(post.asks[..post.header.num_asks as usize].iter());
            if let Some(o) = book
                .filter(|o| o.seat as usize == seat)
                .max_by_key(|o| o.order_id)
                .filter(|o| o.order_id >= pre.header.state.next_order_id)
            {
                receipt.order_id = o.order_id;
                receipt.rested_lots = o.lots;
            }
        }
    }
    Ok(receipt)
}

/// Which orders `cancel` cancels.
#[derive(Debug, Clone, Copy)]
pub enum CancelWhich {
    OrderId(u64),
    ClientId(u64),
    All,
}

/// Cancels orders; returns how many of the wallet's orders rest afterwards.
pub async fn cancel<C: Chain>(
    chain: &mut C,
    wallet: &Keypair,
    market: &str,
    which: CancelWhich,
) -> Result<u16, String> {
    let owner = wallet.pubkey();
    let m = client::find_market(chain, market).await?;
    let i = match which {
        CancelWhich::OrderId(id) => ix::cancel_order(&owner, &m.key, id),
        CancelWhich::ClientId(id) => ix::cancel_order_by_client_id(&owner, &m.key, id),
        CancelWhich::All => ix::cancel_all_orders(&owner, &m.key),
    };
    send(chain, &[i], wallet).await?;
    let m = client::fetch_market(chain, &m.key).await?;
    let v = m.view();
    Ok(collateral::find_seat(v.seats, &owner)
        .map(|i| v.seats[i].num_orders)
        .unwrap_or(0))
}

// ------------------------------------------------------------ positions

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

/// `owner`'s position in one market, or None when it has no seat there.
pub fn position_in(m: &MarketAccount, owner: &Pubkey) -> Option<PositionView> {
    let v = m.view();
    let seat_idx = collateral::find_seat(v.seats, owner)?;
    let s = &v.seats[seat_idx];
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
        .filter_map(|m| position_in(m, owner))
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
    pub seat_capacity: u32,
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
        seat_capacity: h.seat_capacity,
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

// ------------------------------------------------------------ staking

#[derive(Debug, Serialize)]
pub struct StakeView {
    pub owner: String,
    pub shares: u64,
    /// USD the shares are worth now.
    pub value: f64,
    pub unstake_shares: u64,
    /// USD: the value at the request (the most a withdrawal pays).
    pub unstake_value_at_request: f64,
    pub unstake_requested_ts: i64,
    /// unix seconds from which `unstake withdraw` succeeds (0 = nothing requested).
    pub withdrawable_from_ts: i64,
    /// USD in the fund; total shares.
    pub fund_balance: f64,
    pub fund_shares: u64,
}

pub async fn stake_view<C: Chain>(chain: &mut C, owner: &Pubkey) -> Result<StakeView, String> {
    let f = client::insurance_fund(chain)
        .await
        .ok_or("the insurance fund is not initialized")?;
    let s = client::stake_account(chain, owner)
        .await
        .unwrap_or_else(bytemuck::Zeroable::zeroed);
    let value = staking::value_of_shares(s.shares, f.total_shares, f.balance).unwrap_or(0);
    Ok(StakeView {
        owner: owner.to_string(),
        shares: s.shares,
        value: usd(value as i128),
        unstake_shares: s.unstake_shares,
        unstake_value_at_request: usd(s.unstake_value_at_request as i128),
        unstake_requested_ts: s.unstake_requested_ts,
        withdrawable_from_ts: if s.unstake_shares > 0 {
            s.unstake_requested_ts + f.unstake_cooldown_secs
        } else {
            0
        },
        fund_balance: usd(f.balance as i128),
        fund_shares: f.total_shares,
    })
}

/// Stakes `amount` quote atoms into the insurance fund.
pub async fn stake<C: Chain>(
    chain: &mut C,
    wallet: &Keypair,
    amount: u64,
    token: Option<Pubkey>,
) -> Result<StakeView, String> {
    let owner = wallet.pubkey();
    let token = collateral_token(chain, &owner, token).await?;
    send(chain, &[ix::stake(&owner, &owner, &token, amount)], wallet).await?;
    stake_view(chain, &owner).await
}

/// Starts the cooldown for `shares` (all of them when None).
pub async fn request_unstake<C: Chain>(
    chain: &mut C,
    wallet: &Keypair,
    shares: Option<u64>,
    token: Option<Pubkey>,
) -> Result<StakeView, String> {
    let owner = wallet.pubkey();
    let shares = match shares {
        Some(s) => s,
        None => {
            client::stake_account(chain, &owner)
                .await
                .ok_or("no stake")?
                .shares
        }
    };
    let token = collateral_token(chain, &owner, token).await?;
    send(
        chain,
        &[ix::request_unstake(&owner, &owner, &token, shares)],
        wallet,
    )
    .await?;
    stake_view(chain, &owner).await
}

/// Pays out a requested unstake after its cooldown (the smaller of its
/// value at the request and now).
pub async fn withdraw_unstake<C: Chain>(
    chain: &mut C,
    wallet: &Keypair,
    token: Option<Pubkey>,
) -> Result<StakeView, String> {
    let owner = wallet.pubkey();
    let mut ixs = Vec::new();
    if token.is_none() {
        let ex = client::exchange(chain)
            .await
            .ok_or("the exchange is not initialized on this cluster")?;
        ixs.push(client::create_associated_token_account_idempotent(
            &chain.payer_key(),
            &owner,
            &ex.collateral_mint,
        ));
    }
    let token = collateral_token(chain, &owner, token).await?;
    ixs.push(ix::withdraw_unstake(&owner, &owner, &token));
    send(chain, &ixs, wallet).await?;
    stake_view(chain, &owner).await
}
