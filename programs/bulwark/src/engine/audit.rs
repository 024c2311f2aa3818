//! The market invariant checker (off-chain): run after every step of the
//! integration and property tests, by simulate, and by auditors.

use super::collateral;
use crate::math::FUNDING_PRECISION;
use crate::state::MarketRef;

/// Every invariant of one market against its vault's token balance.
pub fn check_market(m: &MarketRef, vault_balance: u64) -> Vec<String> {
    let mut v = Vec::new();
    let name = m.header.name_str().to_string();
    let st = &m.header.state;
    match collateral::sum_collateral(m) {
        Ok(sum) if sum != st.total_collateral => v.push(format!(
            "{name}: Σ seat collateral {sum} != total_collateral {}",
            st.total_collateral
        )),
        Err(e) => v.push(format!("{name}: Σ collateral overflows: {e}")),
        _ => {}
    }
    // vault = Σ (collateral − entry cost) + unswept fees + funding dust −
    // funding owed, exactly, in FUNDING_PRECISION-scaled atoms.
    let required = collateral::required_vault_scaled(m).unwrap_or(i128::MAX);
    if (vault_balance as i128) * FUNDING_PRECISION != required {
        v.push(format!(
            "{name}: vault holds {vault_balance} but the books say {}/{}",
            required, FUNDING_PRECISION
        ));
    }
    let (mut entry, mut base_snap) = (0i128, 0i128);
    let mut loss_snap = [0i128; 2];
    for s in m.seats.iter().filter(|s| !s.is_free()) {
        entry += s.entry_cost as i128;
        base_snap += s.base_lots as i128 * s.funding_snapshot.get();
        if let Some(side) = super::position::side_index(s.base_lots) {
            loss_snap[side] += s.base_lots.unsigned_abs() as i128 * s.loss_snapshot.get();
            if s.loss_snapshot.get() > st.social_loss_per_lot[side].get() {
                v.push(format!(
                    "{name}: seat {} loss snapshot ahead of its side's index",
                    s.owner
                ));
            }
        }
        if s.base_lots == 0 && s.entry_cost != 0 {
            v.push(format!(
                "{name}: flat seat {} carries entry cost {}",
                s.owner, s.entry_cost
            ));
        }
    }
    if entry != st.total_entry_cost as i128 {
        v.push(format!(
            "{name}: Σ entry cost {entry} != total_entry_cost {}",
            st.total_entry_cost
        ));
    }
    for (side, sum) in loss_snap.iter().enumerate() {
        if *sum != st.sum_loss_snapshot[side].get() {
            v.push(format!(
                "{name}: Σ |base| × loss snapshot {sum} != {} on side {side}",
                st.sum_loss_snapshot[side].get()
            ));
        }
    }
    if base_snap != st.sum_base_snapshot.get() {
        v.push(format!(
            "{name}: Σ base × snapshot {base_snap} != {}",
            st.sum_base_snapshot.get()
        ));
    }
    // Open-order reservations match the book.
    let mut reserved = std::collections::HashMap::<u32, (u64, u64, u16)>::new();
    let mut quotes = std::collections::HashMap::<u32, (u64, u64)>::new();
    let lpu = m.header.config.base_lots_per_unit;
    for o in &m.bids[..m.header.num_bids as usize] {
        let e = reserved.entry(o.seat).or_default();
        e.0 += o.lots;
        e.2 += 1;
        quotes.entry(o.seat).or_default().0 +=
            super::book::reserved_quote(o.price, o.lots, lpu).unwrap_or(u64::MAX);
    }
    for o in &m.asks[..m.header.num_asks as usize] {
        let e = reserved.entry(o.seat).or_default();
        e.1 += o.lots;
        e.2 += 1;
        quotes.entry(o.seat).or_default().1 +=
            super::book::reserved_quote(o.price, o.lots, lpu).unwrap_or(u64::MAX);
    }
    for (i, s) in m.seats.iter().enumerate() {
        let q = quotes.get(&(i as u32)).copied().unwrap_or_default();
        if (s.open_bid_quote, s.open_ask_quote) != q {
            v.push(format!(
                "{name}: seat {i} reserves quote ({}, {}) but its orders need {q:?}",
                s.open_bid_quote, s.open_ask_quote
            ));
        }
    }
    for (i, s) in m.seats.iter().enumerate() {
        let (b, a, n) = reserved.get(&(i as u32)).copied().unwrap_or_default();
        if (s.open_bid_lots, s.open_ask_lots, s.num_orders) != (b, a, n) {
            v.push(format!(
                "{name}: seat {i} reserves ({}, {}, {} orders) but the book holds ({b}, {a}, {n})",
                s.open_bid_lots, s.open_ask_lots, s.num_orders
            ));
        }
    }
    // Book sides sorted best-last.
    let bids = &m.bids[..m.header.num_bids as usize];
    let asks = &m.asks[..m.header.num_asks as usize];
    if bids.windows(2).any(|w| w[0].price > w[1].price)
        || asks.windows(2).any(|w| w[0].price < w[1].price)
    {
        v.push(format!("{name}: a book side is out of order"));
    }
    let (mut long, mut short) = (0i128, 0i128);
    let mut used = 0u32;
    for s in m.seats.iter().filter(|s| !s.is_free()) {
        used += 1;
        if s.base_lots > 0 {
            long += s.base_lots as i128;
        } else {
            short -= s.base_lots as i128;
        }
    }
    if long != short {
        v.push(format!("{name}: Σ long {long} != Σ short {short}"));
    }
    if long != st.open_interest_lots as i128 {
        v.push(format!(
            "{name}: open interest {} != Σ long {long}",
            st.open_interest_lots
        ));
    }
    if used != m.header.seats_used {
        v.push(format!(
            "{name}: seats_used {} != occupied seats {used}",
            m.header.seats_used
        ));
    }
    // What left through withdrawals came in as deposits or as insurance
    // cover (a loser's deficit the fund paid is a winner's to withdraw).
    let inflows = st.total_deposits as i128 + m.header.waterfall.total_cover as i128;
    if (st.total_withdrawals as i128) > inflows {
        v.push(format!(
            "{name}: withdrawals exceed deposits and insurance cover"
        ));
    }
    v
}
