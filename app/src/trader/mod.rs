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
use bulwark::engine::book::Side;
use bulwark::engine::trade::{OrderParams, OrderType};
use bulwark::engine::{collateral, margin};
use bulwark::math::PRICE_PRECISION;
use bulwark::state::{OrderFilled, OrderPlaced};
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
    /// the seat's index in the market's seat table.
    pub seat: u32,
    pub token_account: String,
    /// USD moved.
    pub amount: f64,
    /// USD in the seat afterwards.
    pub collateral_after: f64,
}

/// Which of the wallet's seats a command acts on (one wallet may hold
/// several isolated seats in a market).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SeatPick {
    /// Its first seat (a deposit: that, else a new one).
    #[default]
    First,
    /// The seat at this index, which must be the wallet's (a deposit may
    /// name the table's end, `seat_count`, to open a new one).
    Index(u32),
    /// Deposits only: a new seat at the end of the table.
    New,
}

/// The seat index `pick` names for `owner` in `m`, checked off-chain with
/// the program's own rule so that a wrong index fails here with a message
/// (the program would refuse it with `WrongSeatIndex`).
pub fn pick_seat(
    m: &MarketAccount,
    owner: &Pubkey,
    pick: SeatPick,
    deposit: bool,
) -> Result<u32, String> {
    let v = m.view();
    let end = v.header.seat_count;
    // The program's own rule for a claim at the end of the table.
    let grows = |i: u32| bulwark::engine::seat_table::claim_grows(v.header, i);
    match pick {
        SeatPick::First if deposit => m.deposit_seat(owner),
        SeatPick::First => m.seat(owner),
        SeatPick::Index(i) if deposit && grows(i).unwrap_or(false) => Ok(i),
        SeatPick::Index(i) => match v.seats.get(i as usize) {
            Some(s) if s.owner == *owner => Ok(i),
            Some(_) => Err(format!("seat {i} of {} is not {owner}'s", m.name())),
            None => Err(format!("{} has {end} seats: no seat {i}", m.name())),
        },
        SeatPick::New if deposit => match grows(end) {
            Ok(_) => Ok(end),
            Err(_) => Err(format!("{} is at its max_seats", m.name())),
        },
        SeatPick::New => Err("--new-seat is for deposits".into()),
    }
}

/// The seat at `seat` if it is still `owner`'s, else the owner's first
/// (an index can move when another seat is released: swap-remove).
fn seat_after<'a>(
    v: &'a bulwark::state::MarketRef<'a>,
    owner: &Pubkey,
    seat: u32,
) -> Option<&'a bulwark::state::Seat> {
    match v.seats.get(seat as usize) {
        Some(s) if s.owner == *owner => Some(s),
        _ => collateral::find_seat(v.seats, owner).map(|i| &v.seats[i]),
    }
}

async fn seat_collateral<C: Chain>(
    chain: &mut C,
    market: &Pubkey,
    owner: &Pubkey,
    seat: u32,
) -> f64 {
    match client::fetch_market(chain, market).await {
        Ok(m) => {
            let v = m.view();
            seat_after(&v, owner, seat)
                .map(|s| usd(s.collateral as i128))
                .unwrap_or(0.0)
        }
        Err(_) => 0.0,
    }
}

/// Deposits `amount` quote atoms into the wallet's seat of `market` (a
/// name or address), claiming a seat if it has none (or `SeatPick::New`).
pub async fn deposit<C: Chain>(
    chain: &mut C,
    wallet: &Keypair,
    market: &str,
    amount: u64,
    token: Option<Pubkey>,
    pick: SeatPick,
) -> Result<CollateralReceipt, String> {
    let owner = wallet.pubkey();
    let m = client::find_market(chain, market).await?;
    let token = collateral_token(chain, &owner, token).await?;
    let seat = pick_seat(&m, &owner, pick, true)?;
    send(
        chain,
        &[ix::deposit(&owner, &m.key, seat, &token, amount)],
        wallet,
    )
    .await?;
    Ok(CollateralReceipt {
        market: m.name(),
        seat,
        token_account: token.to_string(),
        amount: usd(amount as i128),
        collateral_after: seat_collateral(chain, &m.key, &owner, seat).await,
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
    pick: SeatPick,
) -> Result<CollateralReceipt, String> {
    let owner = wallet.pubkey();
    let m = client::find_market(chain, market).await?;
    let seat = pick_seat(&m, &owner, pick, false)?;
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
        let s = &m.view().seats[seat as usize];
        s.base_lots != 0 || s.num_orders > 0
    };
    if exposed {
        ixs.push(ix::refresh_prices(&m.key, &m.feeds()));
    }
    ixs.push(ix::withdraw(&owner, &m.key, seat, &token, amount));
    send(chain, &ixs, wallet).await?;
    Ok(CollateralReceipt {
        market: m.name(),
        seat,
        token_account: token.to_string(),
        amount: usd(amount as i128),
        collateral_after: seat_collateral(chain, &m.key, &owner, seat).await,
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

fn seat_lots(m: &MarketAccount, owner: &Pubkey, seat: u32) -> i64 {
    let v = m.view();
    seat_after(&v, owner, seat)
        .map(|s| s.base_lots)
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
    pick: SeatPick,
) -> Result<OrderReceipt, String> {
    let owner = wallet.pubkey();
    let m = client::find_market(chain, market).await?;
    let seat = pick_seat(&m, &owner, pick, false)?;
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
    let before = seat_lots(&m, &owner, seat);
    let ok = send(
        chain,
        &[
            ix::refresh_prices(&m.key, &m.feeds()),
            ix::place_order(&owner, &m.key, seat, params),
        ],
        wallet,
    )
    .await?;
    let after_m = client::fetch_market(chain, &m.key).await?;
    let after = seat_lots(&after_m, &owner, seat);
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
    pick: SeatPick,
) -> Result<u16, String> {
    let owner = wallet.pubkey();
    let m = client::find_market(chain, market).await?;
    let seat = pick_seat(&m, &owner, pick, false)?;
    let i = match which {
        CancelWhich::OrderId(id) => ix::cancel_order(&owner, &m.key, seat, id),
        CancelWhich::ClientId(id) => ix::cancel_order_by_client_id(&owner, &m.key, seat, id),
        CancelWhich::All => ix::cancel_all_orders(&owner, &m.key, seat),
    };
    send(chain, &[i], wallet).await?;
    let m = client::fetch_market(chain, &m.key).await?;
    let v = m.view();
    Ok(seat_after(&v, &owner, seat)
        .map(|s| s.num_orders)
        .unwrap_or(0))
}

mod stake;
mod views;

pub use stake::*;
pub use views::*;
