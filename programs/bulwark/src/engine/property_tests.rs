//! Property test: 10,000+ random operations over several seats with price
//! moves and funding; after every step every market invariant holds, no
//! accepted order leaves its taker below initial margin where its risk
//! grew, and funding is zero-sum.

use super::audit;
use super::book::Side;
use super::collateral;
use super::margin;
use super::mark;
use super::sandbox::MarketBuf;
use super::trade::{self, CancelWhich, OrderParams, OrderType};
use super::trade_tests::{config, NOW, P100};
use crate::math::{FUNDING_PRECISION, PPM};
use crate::state::MarketMut;
use anchor_lang::prelude::*;

/// xorshift64*: deterministic, seedable.
pub struct Rng(u64);
impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Runs `f` like an instruction: on error, the market is left unchanged.
fn atomically<T>(b: &mut MarketBuf, f: impl FnOnce(&mut MarketMut) -> Result<T>) -> Result<T> {
    let before = b.bytes().to_vec();
    let r = f(&mut b.view());
    if r.is_err() {
        b.bytes_mut().copy_from_slice(&before);
    }
    r
}

fn run(seed: u64, steps: usize) -> (usize, usize) {
    const SEATS: usize = 6;
    let mut rng = Rng::new(seed);
    let mut b = MarketBuf::new(config(), 16, 32);
    let mut vault: u64 = 0;
    let mut now = NOW;
    {
        let mut m = b.view();
        m.header.state.index_price = P100;
        m.header.state.index_publish_ts = now;
        m.header.state.last_funding_ts = now;
        for i in 0..SEATS {
            let owner = Pubkey::new_from_array([i as u8 + 1; 32]);
            let s = collateral::find_or_claim_seat(&mut m, &owner).unwrap();
            let amt = 1_000_000_000 + rng.below(20_000_000_000);
            collateral::deposit(&mut m, s, amt).unwrap();
            vault += amt;
        }
    }
    let (mut fills, mut accepted) = (0usize, 0usize);
    for step in 0..steps {
        let seat = rng.below(SEATS as u64) as usize;
        match rng.below(100) {
            0..=54 => {
                let index = b.view_ref().header.state.index_price;
                let side = if rng.below(2) == 0 {
                    Side::Bid
                } else {
                    Side::Ask
                };
                let order_type = match rng.below(10) {
                    0..=4 => OrderType::Limit,
                    5 => OrderType::PostOnly,
                    6 | 7 => OrderType::ImmediateOrCancel,
                    8 => OrderType::Market,
                    _ => OrderType::FillOrKill,
                };
                // Prices around the index, some outside the band.
                let offset = rng.below(1_200) as i64 - 600; // ±6 %
                let raw = (index as i64 + index as i64 * offset / 10_000).max(1_000) as u64;
                let price = raw / 1_000 * 1_000;
                let max_lots = if rng.below(10) == 0 { 50_000 } else { 3_000 };
                let p = OrderParams {
                    side,
                    order_type,
                    price,
                    lots: 1 + rng.below(max_lots),
                    client_order_id: rng.below(4),
                    expiry_ts: if rng.below(8) == 0 {
                        now + rng.below(600) as i64 + 1
                    } else {
                        0
                    },
                    reduce_only: rng.below(8) == 0,
                };
                let worst_before = trade::worst_lots(&b.view_ref().seats[seat]).unwrap();
                let r = atomically(&mut b, |m| {
                    let mut n = 0usize;
                    let out = trade::place_order(m, seat, &p, now, PPM, &mut |_| n += 1)?;
                    Ok((out, n))
                });
                if let Ok((_, n)) = r {
                    accepted += 1;
                    fills += n;
                    let m = b.view_ref();
                    let s = &m.seats[seat];
                    if trade::worst_lots(s).unwrap() > worst_before {
                        let price = margin::risk_price(&m.header.state);
                        let h = margin::initial_health(
                            &m.header.config,
                            &m.header.state,
                            s,
                            price,
                            PPM,
                        )
                        .unwrap();
                        assert!(h >= 0, "step {step}: accepted order left health {h}");
                    }
                }
            }
            55..=64 => {
                let which = match rng.below(3) {
                    0 => CancelWhich::All,
                    1 => CancelWhich::ClientId(rng.below(4)),
                    _ => {
                        CancelWhich::OrderId(rng.below(b.view_ref().header.state.next_order_id + 1))
                    }
                };
                let _ = atomically(&mut b, |m| trade::cancel(m, seat, which));
            }
            65..=71 => {
                let amt = 1 + rng.below(5_000_000_000);
                atomically(&mut b, |m| collateral::deposit(m, seat, amt)).unwrap();
                vault += amt;
            }
            72..=79 => {
                let amt = 1 + rng.below(5_000_000_000);
                let r = atomically(&mut b, |m| {
                    let price = margin::risk_price(&m.header.state);
                    collateral::withdraw(m, seat, amt, price)
                });
                if r.is_ok() {
                    vault -= amt;
                }
            }
            80..=91 => {
                // Price move: usually small, sometimes a gap.
                now += 1 + rng.below(120) as i64;
                let mut m = b.view();
                let idx = m.header.state.index_price as i64;
                let bps = if rng.below(20) == 0 {
                    rng.below(1_600) as i64 - 800
                } else {
                    rng.below(200) as i64 - 100
                };
                mark::accrue_twap(&mut m.header.state, now).unwrap();
                m.header.state.index_price = (idx + idx * bps / 10_000).max(1_000_000) as u64;
                m.header.state.index_publish_ts = now;
                mark::mark_from_book(&mut m, now).unwrap();
            }
            92..=95 => {
                now += 1_800;
                let m = b.view();
                m.header.state.index_publish_ts = now;
                let cfg = m.header.config;
                let before = m.header.state.cum_funding_per_lot.get();
                if mark::update_funding(&cfg, &mut m.header.state, now).is_ok() {
                    let delta = m.header.state.cum_funding_per_lot.get() - before;
                    // Funding paid = funding received: Σ over seats of base × Δ.
                    let flow: i128 = m.seats.iter().map(|s| s.base_lots as i128 * delta).sum();
                    assert_eq!(flow, 0, "step {step}: funding is not zero-sum");
                }
            }
            _ => {
                // Sweep: fees leave the vault.
                let m = b.view();
                let out =
                    m.header.state.unswept_insurance_fees + m.header.state.unswept_treasury_fees;
                m.header.state.unswept_insurance_fees = 0;
                m.header.state.unswept_treasury_fees = 0;
                vault -= out;
            }
        }
        let v = audit::check_market(&b.view_ref(), vault);
        assert!(v.is_empty(), "seed {seed} step {step}: {v:?}");
    }
    // Settle everyone's funding: the dust left is less than one atom.
    let m = b.view();
    for i in 0..SEATS {
        super::position::settle_funding(&mut m.seats[i], &mut m.header.state).unwrap();
    }
    assert!(m.header.state.funding_dust.get() < FUNDING_PRECISION);
    (fills, accepted)
}

#[test]
fn ten_thousand_random_operations_keep_every_invariant() {
    let (fills, accepted) = run(0xB01_3A4C, 10_000);
    eprintln!("10,000 operations: {accepted} orders accepted, {fills} fills");
    assert!(fills > 500, "the run should trade: {fills} fills");
    assert!(accepted > 1_000);
}

#[test]
fn other_seeds() {
    for seed in 1..=4u64 {
        run(seed * 7_919, 2_500);
    }
}
