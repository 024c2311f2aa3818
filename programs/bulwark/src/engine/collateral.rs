//! Seats and collateral: claiming a seat, deposits, withdrawals, release.

use super::margin;
use crate::error::ErrorCode;
use crate::math::{Cast, SafeMath, FUNDING_PRECISION};
use crate::state::{MarketMut, MarketRef, Seat};
use anchor_lang::prelude::*;

pub fn find_seat(seats: &[Seat], owner: &Pubkey) -> Option<usize> {
    if *owner == Pubkey::default() {
        return None;
    }
    seats.iter().position(|s| s.owner == *owner)
}

/// The owner's seat index, or an error if it has none.
pub fn seat_of(seats: &[Seat], owner: &Pubkey) -> Result<usize> {
    find_seat(seats, owner).ok_or_else(|| error!(ErrorCode::SeatNotFound))
}

/// The seat at `index`, which must be `owner`'s: instructions address
/// seats by index (found off-chain in the fetched market), so no
/// instruction's cost depends on where a seat sits in the table.
pub fn seat_at(seats: &[Seat], index: u32, owner: &Pubkey) -> Result<usize> {
    let i = index as usize;
    require!(
        *owner != Pubkey::default() && seats.get(i).is_some_and(|s| s.owner == *owner),
        ErrorCode::WrongSeatIndex
    );
    Ok(i)
}

/// The seat at `index` for a deposit of `amount` quote atoms by `owner`,
/// and whether it was claimed now: `owner`'s own seat, or a free one
/// (claimed, if the deposit brings the market's `min_seat_collateral`).
/// An owner may hold several seats: each is an isolated account.
pub fn claim_seat_at(
    m: &mut MarketMut,
    index: u32,
    owner: &Pubkey,
    amount: u64,
) -> Result<(usize, bool)> {
    require!(*owner != Pubkey::default(), ErrorCode::WrongSeatIndex);
    let i = index as usize;
    let seat = m
        .seats
        .get(i)
        .ok_or_else(|| error!(ErrorCode::WrongSeatIndex))?;
    if seat.owner == *owner {
        return Ok((i, false));
    }
    require!(seat.is_free(), ErrorCode::SeatTaken);
    require!(
        amount >= m.header.config.min_seat_collateral,
        ErrorCode::SeatCollateralTooSmall
    );
    claim(m, i, owner)?;
    Ok((i, true))
}

fn claim(m: &mut MarketMut, i: usize, owner: &Pubkey) -> Result<()> {
    let mut seat = Seat {
        owner: *owner,
        ..Default::default()
    };
    seat.funding_snapshot = m.header.state.cum_funding_per_lot;
    m.seats[i] = seat;
    m.header.seats_used = m.header.seats_used.safe_add(1)?;
    Ok(())
}

/// The owner's seat, claiming the first free one if it has none yet,
/// without the seat minimum (engine tests and simulations; the deposit
/// instruction uses `claim_seat_at`).
pub fn find_or_claim_seat(m: &mut MarketMut, owner: &Pubkey) -> Result<usize> {
    Ok(find_or_claim_seat_for(m, owner, u64::MAX)?.0)
}

/// The seat a deposit by `owner` would name: its own (the first, if it
/// holds several), else the first free one; `None` when the table is full.
/// Off-chain clients call it on the fetched market to find the index the
/// deposit instruction takes.
pub fn deposit_seat(seats: &[Seat], owner: &Pubkey) -> Option<usize> {
    find_seat(seats, owner).or_else(|| seats.iter().position(|s| s.is_free()))
}

/// The owner's seat for a deposit of `amount` quote atoms, and whether it
/// was claimed now, found by scanning (engine tests and the off-chain
/// sandbox): [`deposit_seat`], then the instruction's own rule,
/// [`claim_seat_at`] — so a new seat must bring the market's
/// `min_seat_collateral` here too (seats cost what they take: a table full
/// of dust seats would lock every new trader and keeper out).
pub fn find_or_claim_seat_for(
    m: &mut MarketMut,
    owner: &Pubkey,
    amount: u64,
) -> Result<(usize, bool)> {
    let i = deposit_seat(m.seats, owner).ok_or_else(|| error!(ErrorCode::SeatTableFull))?;
    claim_seat_at(m, i as u32, owner, amount)
}

/// Credits `amount` quote atoms to the seat (the token transfer into the
/// vault is the caller's job and happens in the same instruction).
pub fn deposit(m: &mut MarketMut, seat: usize, amount: u64) -> Result<()> {
    require!(amount > 0, ErrorCode::ZeroAmount);
    let a: i64 = amount.cast()?;
    let s = &mut m.seats[seat];
    s.collateral = s.collateral.safe_add(a)?;
    let st = &mut m.header.state;
    st.total_collateral = st.total_collateral.safe_add(a)?;
    st.total_deposits = st.total_deposits.safe_add(amount)?;
    Ok(())
}

/// Debits `amount` quote atoms if the seat keeps its initial margin at
/// `price` (the mark).
pub fn withdraw(m: &mut MarketMut, seat: usize, amount: u64, price: u64) -> Result<()> {
    require!(amount > 0, ErrorCode::ZeroAmount);
    super::position::settle_funding(&mut m.seats[seat], &mut m.header.state)?;
    let free = margin::withdrawable(&m.header.config, &m.header.state, &m.seats[seat], price)?;
    require!(amount <= free, ErrorCode::InsufficientFreeCollateral);
    let a: i64 = amount.cast()?;
    let s = &mut m.seats[seat];
    s.collateral = s.collateral.safe_sub(a)?;
    let st = &mut m.header.state;
    st.total_collateral = st.total_collateral.safe_sub(a)?;
    st.total_withdrawals = st.total_withdrawals.safe_add(amount)?;
    Ok(())
}

/// Frees an empty seat for someone else.
pub fn release_seat(m: &mut MarketMut, seat: usize) -> Result<()> {
    require!(m.seats[seat].is_empty(), ErrorCode::SeatNotEmpty);
    m.seats[seat] = Seat::default();
    m.header.seats_used = m.header.seats_used.safe_sub(1)?;
    Ok(())
}

/// True when anyone may evict the seat: it is taken, flat (no position,
/// no cost basis), holds no orders, and its collateral is below the
/// market's `min_seat_collateral` but not negative (a negative balance is
/// a deficit the waterfall still owes: it stays on the books).
pub fn evictable(m: &MarketRef, seat: usize) -> bool {
    let s = &m.seats[seat];
    !s.is_free()
        && s.base_lots == 0
        && s.entry_cost == 0
        && s.num_orders == 0
        && s.collateral >= 0
        && (s.collateral as u64) < m.header.config.min_seat_collateral
}

/// Evicts a dust seat (`evictable`): its collateral is debited as a
/// withdrawal (the caller moves exactly that from the vault to the
/// owner's token account) and the seat is freed. Returns the quote atoms
/// owed to the owner. A flat seat owes no funding or socialized loss (both
/// are per lot held); they are settled first all the same.
pub fn evict_seat(m: &mut MarketMut, seat: usize) -> Result<u64> {
    super::position::settle_funding(&mut m.seats[seat], &mut m.header.state)?;
    require!(evictable(&m.as_ref(), seat), ErrorCode::SeatNotEvictable);
    let amount: u64 = m.seats[seat].collateral.cast()?;
    let st = &mut m.header.state;
    st.total_collateral = st.total_collateral.safe_sub(amount.cast()?)?;
    st.total_withdrawals = st.total_withdrawals.safe_add(amount)?;
    m.seats[seat] = Seat::default();
    m.header.seats_used = m.header.seats_used.safe_sub(1)?;
    Ok(amount)
}

/// Σ seat collateral, recomputed from the table (tests and auditors compare
/// it with `MarketState::total_collateral`).
pub fn sum_collateral(m: &MarketRef) -> Result<i64> {
    let mut t: i128 = 0;
    for s in m.seats.iter().filter(|s| !s.is_free()) {
        t = t.safe_add(s.collateral as i128)?;
    }
    t.cast()
}

/// What the market vault holds by the books, scaled by FUNDING_PRECISION:
/// Σ (collateral − entry_cost) + unswept fees, plus rounding dust, minus
/// the funding all seats owe (= −Σ base × snapshot since Σ base = 0) and
/// the socialized losses they owe.
///
/// A closed trade realizes PnL into one seat's collateral while the other
/// side's position stays open, so collateral alone does not balance; each
/// seat's quote position (−entry_cost) does. With every position flat and
/// funding settled this is exactly Σ collateral + unswept fees.
pub fn required_vault_scaled(m: &MarketRef) -> Result<i128> {
    let st = &m.header.state;
    (st.total_collateral as i128)
        .safe_sub(st.total_entry_cost as i128)?
        .safe_add(st.unswept_insurance_fees as i128)?
        .safe_add(st.unswept_treasury_fees as i128)?
        .safe_add(m.header.waterfall.unswept_liquidation_fees as i128)?
        .safe_mul(FUNDING_PRECISION)?
        .safe_add(st.funding_dust.get())?
        .safe_add(st.sum_base_snapshot.get())?
        .safe_sub(super::position::pending_loss_total_scaled(st)?)
}

/// The least whole token balance the vault must hold.
pub fn required_vault_balance(m: &MarketRef) -> Result<i128> {
    crate::math::div_ceil_i128(required_vault_scaled(m)?, FUNDING_PRECISION)
}
