//! The keeper: liquidation, takeover, insurance cover, ADL, funding, fee
//! sweeps, tightening and insurance audits. Two phases per round: a cheap
//! scan of one fetched market account finds candidates; each candidate's
//! market is then fetched again and recomputed with the program's own
//! engine (on an in-memory copy) before anything is sent. A seat whose
//! transaction fails is backed off for a few rounds.
//!
//! The keeper needs no seat to liquidate: with one, its fee share is
//! credited there; without one, it names its collateral token account
//! (`with_fee_account`) and is paid there. Takeovers need a seat (the
//! keeper takes the position) and are only tried with one.

use crate::chain_trait::Chain;
use crate::ix;
use anchor_lang::prelude::Pubkey;
use bulwark::engine::liquidation::{self, cover_available, KeeperPayee};
use bulwark::engine::sandbox::MarketBuf;
use bulwark::engine::{adl, margin};
use bulwark::state::{InsuranceFund, MarketRef};
use solana_keypair::Keypair;
use solana_signer::Signer;
use std::collections::HashMap;

/// What the keeper did, for logs and summaries.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Action {
    Liquidated {
        trader: String,
        closed_lots: u64,
        partial: bool,
        fee: u64,
    },
    TookOver {
        trader: String,
        lots: u64,
        price: u64,
    },
    CoveredBankruptcy {
        trader: String,
        amount: u64,
    },
    Deleveraged {
        trader: String,
        lots: u64,
        deficit: u64,
        counterparties: u32,
        socialized: bool,
        /// quote atoms the insurance fund paid for the lots closed.
        fund_paid: u64,
    },
    FundingUpdated,
    FeesSwept,
    TighteningUpdated,
    InsuranceAudited,
    Failed {
        what: String,
        error: String,
    },
}

pub struct Keeper {
    pub kp: Keypair,
    pub market: Pubkey,
    pub treasury: Pubkey,
    /// The keeper's collateral token account, named in `liquidate` so a
    /// keeper without a seat is paid its fee share there.
    pub fee_account: Option<Pubkey>,
    /// round number until which a seat owner is skipped after a failure.
    backoff: HashMap<Pubkey, u64>,
    round: u64,
}

fn fund_balance(data: &[u8]) -> u64 {
    if data.len() < 8 + core::mem::size_of::<InsuranceFund>() {
        return 0;
    }
    let f: &InsuranceFund =
        bytemuck::from_bytes(&data[8..8 + core::mem::size_of::<InsuranceFund>()]);
    f.balance
}

/// What a seat needs, computed with the engine at the mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Liquidate,
    Bankrupt,
}

/// The round's candidate scan of one decoded market: every occupied seat
/// below maintenance (`Liquidate`) or with negative equity (`Bankrupt`),
/// at the risk price, in seat order, with its index (an owner may hold
/// several seats). No chain needed (the scan benchmark,
/// `app/examples/keeper_scan.rs`, calls it on in-memory bytes).
pub fn needs_by_seat(m: &MarketRef) -> Vec<(u32, Pubkey, Need)> {
    let st = &m.header.state;
    let cfg = &m.header.config;
    let price = margin::risk_price(st);
    if price == 0 {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, s) in m.seats.iter().enumerate().filter(|(_, s)| !s.is_free()) {
        let Ok(e) = margin::equity(s, st, cfg.base_lots_per_unit, price, true) else {
            continue;
        };
        if e < 0 {
            out.push((i as u32, s.owner, Need::Bankrupt));
        } else if s.base_lots != 0
            && margin::maint_health(cfg, st, s, price)
                .map(|h| h < 0)
                .unwrap_or(false)
        {
            out.push((i as u32, s.owner, Need::Liquidate));
        }
    }
    out
}

/// Whether `update_funding` is due at `now`.
pub fn funding_due(m: &MarketRef, now: i64) -> bool {
    now - m.header.state.last_funding_ts >= m.header.config.funding_interval_secs as i64
}

/// Quote atoms of fees a `sweep_fees` would move.
pub fn unswept_fees(m: &MarketRef) -> u64 {
    let st = &m.header.state;
    st.unswept_insurance_fees
        + st.unswept_treasury_fees
        + m.header.waterfall.unswept_liquidation_fees
}

/// Whether the fund's coverage calls for another tightening level (the
/// same engine function the program applies); `fund_data` is the insurance
/// fund's account data.
pub fn tightening_due(m: &MarketRef, fund_data: &[u8]) -> bool {
    let n = core::mem::size_of::<InsuranceFund>();
    if fund_data.len() < 8 + n {
        return false;
    }
    let fund: InsuranceFund = bytemuck::pod_read_unaligned(&fund_data[8..8 + n]);
    bulwark::engine::insurance::tightening(m.header, &fund)
        .map(|(old, new, _)| old != new)
        .unwrap_or(false)
}

impl Keeper {
    pub fn new(kp: Keypair, market: Pubkey, treasury: Pubkey) -> Self {
        Self {
            kp,
            market,
            treasury,
            fee_account: None,
            backoff: HashMap::new(),
            round: 0,
        }
    }

    /// Names the keeper's collateral token account for its fee share when
    /// it has no seat in the market.
    pub fn with_fee_account(mut self, token: Option<Pubkey>) -> Self {
        self.fee_account = token;
        self
    }

    async fn fresh<C: Chain>(&self, chain: &mut C) -> MarketBuf {
        MarketBuf::from_account_data(&chain.account_data(&self.market).await)
    }

    fn label(owner: &Pubkey) -> String {
        let s = owner.to_string();
        s[..8.min(s.len())].to_string()
    }

    /// One round over the market; `labels` names traders in the actions.
    pub async fn round<C: Chain>(
        &mut self,
        chain: &mut C,
        labels: &HashMap<Pubkey, String>,
    ) -> Vec<Action> {
        self.round += 1;
        let mut actions = Vec::new();
        let name = |k: &Pubkey| labels.get(k).cloned().unwrap_or_else(|| Self::label(k));
        // A ranking round left open (by another keeper, or cut short)
        // freezes the market: finish it first.
        if self.fresh(chain).await.view_ref().header.adl_round.active == 1 {
            let now = chain.unix_time().await;
            let fund = fund_balance(&chain.account_data(&ix::insurance_pda()).await);
            match crate::keeper_adl::finish_open_round(chain, &self.kp, &self.market, fund, now)
                .await
            {
                Ok(end) => actions.extend(round_action(&end)),
                Err(e) => actions.push(Action::Failed {
                    what: "ADL round".into(),
                    error: e,
                }),
            }
        }
        // Phase 1: one fetch, cheap scan.
        let scan = self.fresh(chain).await;
        let candidates = match MarketRef::from_bytes(scan.bytes()) {
            Ok(m) => needs_by_seat(&m),
            Err(_) => return actions,
        };
        let keeper = self.kp.pubkey();
        for (seat_ix, owner, _) in candidates {
            if owner == keeper || self.backoff.get(&owner).is_some_and(|r| *r > self.round) {
                continue;
            }
            // Phase 2: refetch and recompute before each step.
            for _step in 0..4 {
                let now = chain.unix_time().await;
                let mut buf = self.fresh(chain).await;
                let fund = fund_balance(&chain.account_data(&ix::insurance_pda()).await);
                let m = buf.view_ref();
                let Some(need) = needs_by_seat(&m)
                    .iter()
                    .find(|(i, o, _)| *i == seat_ix && *o == owner)
                    .map(|(_, _, n)| *n)
                else {
                    break;
                };
                let seat = seat_ix as usize;
                let base = m.seats[seat].base_lots;
                let available = cover_available(&m.header.config, &m.header.waterfall, fund, now);
                let keeper_seat = bulwark::engine::collateral::seat_of(m.seats, &keeper).ok();
                let (ixs, predicted): (Vec<_>, Option<Action>) = match need {
                    Need::Liquidate => {
                        // Paid in the seat if there is one, else in the
                        // named token account, else nothing (the fund's).
                        let (payee, fee_to) = match (keeper_seat, self.fee_account) {
                            (Some(k), _) => (KeeperPayee::Seat(k), None),
                            (None, Some(t)) => (KeeperPayee::Account, Some(t)),
                            (None, None) => (KeeperPayee::Insurance, None),
                        };
                        let liq_ix = ix::liquidate_to(
                            &keeper,
                            &self.market,
                            &owner,
                            seat_ix,
                            keeper_seat.map(|k| k as u32),
                            fee_to,
                        );
                        let mut v = buf.view();
                        match liquidation::liquidate_for(&mut v, seat, payee, now, &mut |_| {}) {
                            // A close cut short by the walk bound made
                            // progress too (the next step continues).
                            Ok(o)
                                if o.closed_lots > 0 || o.restored_by_cancel || o.walk_bounded =>
                            {
                                (
                                    vec![liq_ix],
                                    Some(Action::Liquidated {
                                        trader: name(&owner),
                                        closed_lots: o.closed_lots,
                                        partial: o.partial,
                                        fee: o.fee,
                                    }),
                                )
                            }
                            // Book too thin: take it over if we have a
                            // seat and our margin allows.
                            _ => match keeper_seat {
                                None => (vec![liq_ix], None),
                                Some(k) => {
                                    let mut b2 = self.fresh(chain).await;
                                    match liquidation::takeover(&mut b2.view(), seat, k, now) {
                                        Ok((o, price)) => (
                                            vec![ix::takeover(
                                                &keeper,
                                                &self.market,
                                                &owner,
                                                seat_ix,
                                                k as u32,
                                            )],
                                            Some(Action::TookOver {
                                                trader: name(&owner),
                                                lots: o.closed_lots,
                                                price,
                                            }),
                                        ),
                                        Err(_) => (vec![liq_ix], None),
                                    }
                                }
                            },
                        }
                    }
                    // ADL where the program allows it (the fund cannot pay
                    // for closing the whole position on the book, or the
                    // book cannot take it; the fund pays first even then),
                    // else the fund's cover with a close in the same step.
                    Need::Bankrupt => {
                        // Too many seats for one transaction: a ranking
                        // round, predicted first, over several.
                        let large = base != 0 && crate::keeper_adl::needs_round(m.seats.len());
                        if large
                            && crate::keeper_adl::predict(buf.bytes(), Some(seat), fund, now)
                                .is_ok_and(|end| end.outcome.is_some())
                        {
                            let sent = crate::keeper_adl::run_round(
                                chain,
                                &self.kp,
                                &self.market,
                                Some((owner, seat_ix)),
                                fund,
                                now,
                            )
                            .await;
                            match sent {
                                Ok(end) => actions.extend(round_action(&end)),
                                Err(e) => {
                                    self.backoff.insert(owner, self.round + 3);
                                    actions.push(Action::Failed {
                                        what: format!("ADL round {}", name(&owner)),
                                        error: e,
                                    });
                                    break;
                                }
                            }
                            continue;
                        }
                        let adl_out = if base != 0 && !large {
                            let mut v = buf.view();
                            adl::auto_deleverage(&mut v, seat, fund, now, &mut |_| {}).ok()
                        } else {
                            None
                        };
                        match adl_out {
                            Some(o) => (
                                vec![ix::auto_deleverage(&self.market, &owner, seat_ix)],
                                Some(deleveraged(name(&owner), &o)),
                            ),
                            None if available > 0 => {
                                let mut v = self.fresh(chain).await;
                                match liquidation::cover_bankruptcy(&mut v.view(), seat, fund, now)
                                {
                                    Ok(amount) => (
                                        vec![ix::cover_bankruptcy(&self.market, &owner, seat_ix)],
                                        Some(Action::CoveredBankruptcy {
                                            trader: name(&owner),
                                            amount,
                                        }),
                                    ),
                                    Err(_) => break,
                                }
                            }
                            None => break,
                        }
                    }
                };
                match chain.send(&ixs, &[&self.kp]).await {
                    Ok(_) => {
                        if let Some(a) = predicted {
                            actions.push(a);
                        } else {
                            break;
                        }
                    }
                    Err(e) => {
                        self.backoff.insert(owner, self.round + 3);
                        actions.push(Action::Failed {
                            what: format!("{:?} {}", need, name(&owner)),
                            error: e.to_string(),
                        });
                        break;
                    }
                }
            }
        }
        // Housekeeping: funding when due, tightening, fee sweeps.
        let now = chain.unix_time().await;
        let buf = self.fresh(chain).await;
        if let Ok(m) = MarketRef::from_bytes(buf.bytes()) {
            if funding_due(&m, now)
                && chain
                    .send(&[ix::update_funding(&self.market)], &[&self.kp])
                    .await
                    .is_ok()
            {
                actions.push(Action::FundingUpdated);
            }
            let sweep_due = unswept_fees(&m) > 0 && self.round.is_multiple_of(10);
            if sweep_due
                && chain
                    .send(&[ix::sweep_fees(&self.market, &self.treasury)], &[&self.kp])
                    .await
                    .is_ok()
            {
                actions.push(Action::FeesSwept);
            }
        }
        // Tightening: sent only when the coverage calls for another level
        // (the same engine function the program applies).
        let fund_data = chain.account_data(&ix::insurance_pda()).await;
        let change = match MarketRef::from_bytes(buf.bytes()) {
            Ok(m) => tightening_due(&m, &fund_data),
            Err(_) => false,
        };
        if change
            && chain
                .send(&[ix::update_tightening(&self.market)], &[&self.kp])
                .await
                .is_ok()
        {
            actions.push(Action::TighteningUpdated);
        }
        if self.round.is_multiple_of(20)
            && chain
                .send(&[ix::audit_insurance()], &[&self.kp])
                .await
                .is_ok()
        {
            actions.push(Action::InsuranceAudited);
        }
        actions
    }
}

/// The action a ranking round's end reports: its close, if ADL was still
/// due for the side's most bankrupt seat.
fn round_action(end: &bulwark::engine::adl_round::RoundEnd) -> Option<Action> {
    end.outcome
        .map(|o| deleveraged(format!("seat {}", end.target), &o))
}

fn deleveraged(trader: String, o: &adl::AdlOutcome) -> Action {
    Action::Deleveraged {
        trader,
        lots: o.lots,
        deficit: o.deficit,
        counterparties: o.counterparties,
        socialized: o.socialized,
        fund_paid: o.fund_paid,
    }
}
