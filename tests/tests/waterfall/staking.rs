//! Insurance staking: shares, the request / cooldown / withdrawal cycle,
//! the min rule both ways, protocol capital, share epochs after a
//! wipe-out, the slippage guard, lapsed requests, and every rejection.
//!
//! Shares (engine/staking.rs), with one virtual share and one virtual atom:
//!   shares for A = floor(A × (total_shares + 1) / (balance + 1))
//!   value of s   = min(floor(s × (balance + 1) / (total_shares + 1)), balance)
//! A stake into a wiped-out fund (balance 0, shares outstanding) starts a
//! new share epoch first: the old shares and requests are void.

use crate::common::*;
use bulwark::engine::book::Side::Bid;
use bulwark::engine::insurance::verify_chain;
use bulwark::state::{
    inflow, outflow, AdlFillEvent, BankruptcyCovered, CoverClose, DeficitUnpaid, InsuranceAudited,
    InsuranceLedgerEntry, StakeEvent, UnstakeRequested, UnstakeWithdrawn,
};
use bulwark_app::config::usd;
use bulwark_app::ix;
use bulwark_tests::{code, limit, BulwarkError as E, TestEnv, Trader};

fn request(t: &Trader, shares: u64) -> solana_instruction::Instruction {
    ix::request_unstake(&t.key(), &t.key(), &t.token, shares)
}

fn withdraw(t: &Trader) -> solana_instruction::Instruction {
    ix::withdraw_unstake(&t.key(), &t.key(), &t.token)
}

/// Sends `t`'s withdrawal of its matured request; returns the event.
async fn withdraw_ok(env: &mut TestEnv, t: &Trader) -> UnstakeWithdrawn {
    let ev = send_events(env, &[withdraw(t)], &[&t.kp]).await;
    let entry: InsuranceLedgerEntry = one(&ev);
    assert_eq!(entry.kind, 16 + outflow::UNSTAKE as u8);
    assert_eq!(entry.counterparty, t.key());
    one(&ev)
}

#[tokio::test]
async fn cooldown_and_request_rules() {
    let mut env = MarketToml::base().env().await;
    let s = env.new_trader(1_000.0).await;
    // An empty fund: 1 000 USD buy 1 000e6 shares.
    let ev = stake(&mut env, &s, usd(1_000.0)).await;
    let st: StakeEvent = one(&ev);
    assert_eq!(
        (st.owner, st.amount, st.shares),
        (s.key(), usd(1_000.0), usd(1_000.0))
    );
    assert_eq!(
        (st.total_shares_after, st.fund_balance_after),
        (usd(1_000.0), usd(1_000.0))
    );
    let entry: InsuranceLedgerEntry = one(&ev);
    assert_eq!((entry.seq, entry.kind), (0, inflow::STAKER_DEPOSIT as u8));
    assert_eq!(env.token_balance(&s.token).await, 0);
    assert_eq!(insurance_vault_balance(&mut env).await, usd(1_000.0));

    env.send_tx_expect_error(&[request(&s, 0)], &[&s.kp], code(E::ZeroAmount))
        .await;
    env.send_tx_expect_error(
        &[request(&s, usd(1_000.0) + 1)],
        &[&s.kp],
        code(E::InsufficientShares),
    )
    .await;
    env.send_tx_expect_error(&[withdraw(&s)], &[&s.kp], code(E::NoUnstakePending))
        .await;

    // Request 400e6 shares: worth 400e6 × (1 000e6 + 1) / (1 000e6 + 1).
    let t0 = env.now().await;
    let ev = send_events(&mut env, &[request(&s, usd(400.0))], &[&s.kp]).await;
    let r: UnstakeRequested = one(&ev);
    assert_eq!((r.shares, r.value_at_request), (usd(400.0), usd(400.0)));
    assert_eq!(r.available_ts, t0 + COOLDOWN_SECS);
    let rec = stake_record(&mut env, &s.key()).await.unwrap();
    assert_eq!((rec.shares, rec.unstake_shares), (usd(1_000.0), usd(400.0)));
    assert_eq!(
        env.insurance_fund().await.pending_unstake_shares,
        usd(400.0)
    );
    // One request at a time.
    env.send_tx_expect_error(&[request(&s, 1)], &[&s.kp], code(E::UnstakePending))
        .await;

    // The cooldown: not a second early.
    env.send_tx_expect_error(&[withdraw(&s)], &[&s.kp], code(E::CooldownNotOver))
        .await;
    env.advance_time(COOLDOWN_SECS - 1).await;
    env.send_tx_expect_error(&[withdraw(&s)], &[&s.kp], code(E::CooldownNotOver))
        .await;
    env.advance_time(1).await;
    let w = withdraw_ok(&mut env, &s).await;
    assert_eq!(
        (w.shares, w.amount, w.value_at_request, w.value_now),
        (usd(400.0), usd(400.0), usd(400.0), usd(400.0))
    );
    assert_eq!(env.token_balance(&s.token).await, usd(400.0));
    assert_eq!(insurance_vault_balance(&mut env).await, usd(600.0));
    let f = env.insurance_fund().await;
    assert_eq!(
        (f.balance, f.total_shares, f.pending_unstake_shares),
        (usd(600.0), usd(600.0), 0)
    );
    assert_eq!(f.outflows[outflow::UNSTAKE], usd(400.0));
    let rec = stake_record(&mut env, &s.key()).await.unwrap();
    assert_eq!(
        (rec.shares, rec.unstake_shares, rec.total_withdrawn),
        (usd(600.0), 0, usd(400.0))
    );
    // Withdrawn: nothing pending any more.
    env.send_tx_expect_error(&[withdraw(&s)], &[&s.kp], code(E::NoUnstakePending))
        .await;

    // Someone else cannot act on S's stake: the stake owner must be the
    // signer.
    let mallory = env.new_trader(0.0).await;
    let steal = ix::request_unstake(&mallory.key(), &s.key(), &mallory.token, 1);
    env.send_tx_expect_error(&[steal], &[&mallory.kp], code(E::NotStakeOwner))
        .await;
    let steal = ix::withdraw_unstake(&mallory.key(), &s.key(), &mallory.token);
    env.send_tx_expect_error(&[steal], &[&mallory.kp], code(E::NotStakeOwner))
        .await;
}

/// The fund pays a bankruptcy during the cooldown: the request pays the
/// lower value at withdrawal (the staker cannot run ahead of a loss).
#[tokio::test]
async fn min_rule_a_cover_during_the_cooldown_lowers_the_payout() {
    let mut env = MarketToml::base().env().await;
    let market = env.market(MKT);
    let s = env.new_trader(1_000.0).await;
    stake(&mut env, &s, usd(1_000.0)).await;
    let a = env.funded_trader(MKT, 1_000.0).await;
    let b = env.funded_trader(MKT, 20_000.0).await;
    trade(&mut env, &a, &b, 100.0, 15_000).await;
    // Request everything while the fund holds 1 000: value 1 000e6.
    let ev = send_events(&mut env, &[request(&s, usd(1_000.0))], &[&s.kp]).await;
    assert_eq!(one::<UnstakeRequested>(&ev).value_at_request, usd(1_000.0));
    // Gap to 90: A's equity = 1 000 − 15 000 × 10 / 100 = −500. An honest
    // maker K bids for all of A at the mark, within the cover limit 90 −
    // 1 % = 89.1 (K's IM 5 % × 13 500 = 675 <= 1 000). The fund can pay
    // for closing A whole at the limit (500 + 15 000 × 0.9 / 100 = 635 <=
    // 1 000): the cover closes A on K's bid at 90 (A realizes −1 500:
    // collateral −500) and pays exactly that deficit, 500.
    move_price(&mut env, 90.0).await;
    let k = env.funded_trader(MKT, 1_000.0).await;
    env.place(&k, MKT, limit(Bid, 90.0, 15_000)).await;
    let a_seat = seat_ix(&mut env, &a.key()).await;
    let ev = send_events(
        &mut env,
        &[ix::cover_bankruptcy(&market, &a.key(), a_seat)],
        &[],
    )
    .await;
    let c: CoverClose = one(&ev);
    assert_eq!(
        (c.closed_lots, c.limit, c.fills, c.flat_after),
        (15_000, 89_100_000, 1, true)
    );
    let paid: BankruptcyCovered = one(&ev);
    assert_eq!(
        (paid.amount, paid.fund_balance_after),
        (usd(500.0), usd(500.0))
    );
    assert_eq!(position(&mut env, &a).await, (0, 0, 0));
    assert_eq!(
        position(&mut env, &k).await,
        (15_000, atoms(13_500.0), atoms(1_000.0))
    );
    assert_eq!(env.insurance_fund().await.balance, usd(500.0));
    env.advance_time(COOLDOWN_SECS).await;
    // value now = floor(1 000e6 × (500e6 + 1) / (1 000e6 + 1)) = 500e6:
    // pays min(1 000e6, 500e6) = 500e6.
    let w = withdraw_ok(&mut env, &s).await;
    assert_eq!(
        (w.value_at_request, w.value_now, w.amount),
        (usd(1_000.0), usd(500.0), usd(500.0))
    );
    assert_eq!(env.token_balance(&s.token).await, usd(500.0));
    let f = env.insurance_fund().await;
    assert_eq!((f.balance, f.total_shares), (0, 0));
    assert_eq!(insurance_vault_balance(&mut env).await, 0);
}

/// The fund grows during the cooldown (a donation reconciled by
/// `audit_insurance`): the request pays its value at request; the gain
/// stays with the fund.
#[tokio::test]
async fn min_rule_growth_during_the_cooldown_stays_with_the_fund() {
    let mut env = MarketToml::base().env().await;
    let s = env.new_trader(1_000.0).await;
    let mut entries: Vec<InsuranceLedgerEntry> = decode(&stake(&mut env, &s, usd(1_000.0)).await);
    send_events(&mut env, &[request(&s, usd(1_000.0))], &[&s.kp]).await;
    // 500 USD sent straight to the vault, then reconciled as a donation.
    let vault = ix::insurance_vault_pda();
    env.mint_collateral(&vault, usd(500.0)).await;
    let ev = send_events(&mut env, &[ix::audit_insurance()], &[]).await;
    let d: InsuranceLedgerEntry = one(&ev);
    assert_eq!(
        (d.kind, d.amount, d.balance_after),
        (inflow::DONATION as u8, usd(500.0), usd(1_500.0))
    );
    let audit: InsuranceAudited = one(&ev);
    assert_eq!(
        (
            audit.vault_balance,
            audit.ledger_balance,
            audit.donation,
            audit.ok
        ),
        (usd(1_500.0), usd(1_500.0), usd(500.0), true)
    );
    let f = env.insurance_fund().await;
    assert_eq!(
        (f.last_audit_ok, f.last_audit_vault_balance),
        (1, usd(1_500.0))
    );
    entries.push(d);
    env.advance_time(COOLDOWN_SECS).await;
    // value now = floor(1 000e6 × 1 500 000 001 / 1 000 000 001)
    //           = 1 499 999 999; pays min(1 000e6, that) = 1 000e6.
    let ev = send_events(&mut env, &[withdraw(&s)], &[&s.kp]).await;
    entries.extend(decode::<InsuranceLedgerEntry>(&ev));
    let w: UnstakeWithdrawn = one(&ev);
    // The hash chain recomputed from the three emitted entries (stake,
    // donation, unstake) is the fund's chain head.
    assert_eq!(entries.len(), 3);
    assert_eq!(
        verify_chain(&entries),
        Some(env.insurance_fund().await.hash_chain)
    );
    assert_eq!(
        (w.value_at_request, w.value_now, w.amount),
        (usd(1_000.0), 1_499_999_999, usd(1_000.0))
    );
    assert_eq!(env.token_balance(&s.token).await, usd(1_000.0));
    let f = env.insurance_fund().await;
    assert_eq!((f.balance, f.total_shares), (usd(500.0), 0));
    // With 500 USD and no shares, one atom buys floor(1 × 1 / 500e6 + 1)
    // = 0 shares.
    let t = env.new_trader(1.0).await;
    let tiny = ix::stake(&t.key(), &t.key(), &t.token, 1, 0);
    env.send_tx_expect_error(&[tiny], &[&t.kp], code(E::DepositTooSmall))
        .await;
    let zero = ix::stake(&t.key(), &t.key(), &t.token, 0, 0);
    env.send_tx_expect_error(&[zero], &[&t.kp], code(E::ZeroAmount))
        .await;
}

/// The protocol's own capital is the exchange PDA's stake: only the admin
/// may move it, under the same rules.
#[tokio::test]
async fn protocol_capital_is_the_admins_alone() {
    let mut env = MarketToml::base().env().await;
    let exchange = ix::exchange_pda();
    let w = env.new_trader(100.0).await;
    let fake = ix::stake(&w.key(), &exchange, &w.token, usd(100.0), 0);
    env.send_tx_expect_error(&[fake], &[&w.kp], code(E::NotAdmin))
        .await;
    assert!(stake_record(&mut env, &exchange).await.is_none());

    let admin = env.admin();
    let mint = env.mint();
    let admin_token = env.token_account(&mint, &admin).await;
    env.mint_collateral(&admin_token, usd(500.0)).await;
    let ev = send_events(
        &mut env,
        &[ix::stake(&admin, &exchange, &admin_token, usd(500.0), 0)],
        &[],
    )
    .await;
    let entry: InsuranceLedgerEntry = one(&ev);
    assert_eq!(
        (entry.kind, entry.counterparty),
        (inflow::PROTOCOL_DEPOSIT as u8, exchange)
    );
    let f = env.insurance_fund().await;
    assert_eq!(f.inflows[inflow::PROTOCOL_DEPOSIT], usd(500.0));
    assert_eq!(f.inflows[inflow::STAKER_DEPOSIT], 0);
    let rec = stake_record(&mut env, &exchange).await.unwrap();
    assert_eq!((rec.owner, rec.shares), (exchange, usd(500.0)));

    // Not the admin: refused for every step.
    let r = ix::request_unstake(&w.key(), &exchange, &w.token, usd(500.0));
    env.send_tx_expect_error(&[r], &[&w.kp], code(E::NotAdmin))
        .await;
    let wd = ix::withdraw_unstake(&w.key(), &exchange, &w.token);
    env.send_tx_expect_error(&[wd], &[&w.kp], code(E::NotAdmin))
        .await;
    // The admin: the same cooldown as anyone.
    let r = ix::request_unstake(&admin, &exchange, &admin_token, usd(500.0));
    env.send(&[r], &[]).await;
    let wd = ix::withdraw_unstake(&admin, &exchange, &admin_token);
    env.send_tx_expect_error(std::slice::from_ref(&wd), &[], code(E::CooldownNotOver))
        .await;
    env.advance_time(COOLDOWN_SECS).await;
    env.send(&[wd], &[]).await;
    assert_eq!(env.token_balance(&admin_token).await, usd(500.0));
    assert_eq!(env.insurance_fund().await.balance, 0);
}

/// The fund's numbers a refused instruction must leave as they were.
async fn fund_snapshot(env: &mut TestEnv) -> (u64, u64, u64, u64, u64, [u8; 32], u64) {
    let f = env.insurance_fund().await;
    let vault = insurance_vault_balance(env).await;
    (
        f.balance,
        f.total_shares,
        f.pending_unstake_shares,
        f.share_epoch,
        f.ledger_seq,
        f.hash_chain,
        vault,
    )
}

/// Sends `amount` quote atoms straight to the vault; `audit_insurance`
/// records them as a donation.
async fn donate(env: &mut TestEnv, amount: u64) {
    env.mint_collateral(&ix::insurance_vault_pda(), amount)
        .await;
    send_events(env, &[ix::audit_insurance()], &[]).await;
}

/// The tracker's attack ("Solvency under attack", 6): the fund's payment
/// for a bankrupt close (an ADL, the fund paying first) takes the fund to
/// exactly 0 with 5 000e6 shares outstanding (S staked 5 000 USD; A's
/// deficit is 5 000 USD). Before share epochs a 5 000 USD
/// stake failed with MathOverflow (5e9 × (5e9 + 1) shares do not fit in
/// u64). Now it starts share epoch 1 and buys shares 1:1; S's old shares
/// and its pending request are void, and the harness's invariants hold
/// after every transaction.
#[tokio::test]
async fn stake_after_wipeout() {
    let mut env = MarketToml::base().env().await;
    let market = env.market(MKT);
    let s = env.new_trader(6_000.0).await;
    stake(&mut env, &s, usd(5_000.0)).await;
    // S asks to leave with 2 000e6 shares before the loss.
    send_events(&mut env, &[request(&s, usd(2_000.0))], &[&s.kp]).await;
    let a = env.funded_trader(MKT, 1_000.0).await;
    let b = env.funded_trader(MKT, 20_000.0).await;
    trade(&mut env, &a, &b, 100.0, 15_000).await;
    // Gap to 60: A's equity = 1 000 − 15 000 lots × 40 USD / 100 = −5 000.
    // A cover cannot close A: the fund's 5 000 do not pay the deficit plus
    // the slippage to the cover limit 60 − 1 % = 59.4 (5 000 + 15 000 ×
    // 0.6 / 100 = 5 090). So ADL closes A at the mark against B, and the
    // fund pays first, all it holds: the whole 5 000 deficit (B is charged
    // nothing).
    move_price(&mut env, 60.0).await;
    let a_seat = seat_ix(&mut env, &a.key()).await;
    env.send_tx_expect_error(
        &[ix::cover_bankruptcy(&market, &a.key(), a_seat)],
        &[],
        code(E::CoverTooSmall),
    )
    .await;
    let ev = send_events(
        &mut env,
        &[ix::auto_deleverage(&market, &a.key(), a_seat)],
        &[],
    )
    .await;
    let fill: AdlFillEvent = one(&ev);
    assert_eq!(
        (fill.counterparty, fill.lots, fill.price, fill.deficit_share),
        (b.key(), 15_000, usd(60.0), 0)
    );
    let paid: BankruptcyCovered = one(&ev);
    assert_eq!((paid.amount, paid.fund_balance_after), (usd(5_000.0), 0));
    assert!(decode::<DeficitUnpaid>(&ev).is_empty());
    assert_eq!(position(&mut env, &a).await, (0, 0, 0));
    // B bought back at 60: 20 000 + 15 000 × 40 / 100.
    assert_eq!(position(&mut env, &b).await, (0, 0, atoms(26_000.0)));
    let f = env.insurance_fund().await;
    assert_eq!(
        (
            f.balance,
            f.total_shares,
            f.pending_unstake_shares,
            f.share_epoch
        ),
        (0, usd(5_000.0), usd(2_000.0), 0)
    );
    assert_eq!(insurance_vault_balance(&mut env).await, 0);

    // The recapitalization: 5 000 USD buy 5 000e6 shares, in epoch 1.
    let n = env.new_trader(5_000.0).await;
    let ev = stake(&mut env, &n, usd(5_000.0)).await;
    let st: StakeEvent = one(&ev);
    assert_eq!((st.amount, st.shares), (usd(5_000.0), usd(5_000.0)));
    assert_eq!(
        (st.total_shares_after, st.fund_balance_after),
        (usd(5_000.0), usd(5_000.0))
    );
    let entry: InsuranceLedgerEntry = one(&ev);
    assert_eq!(
        (entry.kind, entry.balance_after, entry.shares_after),
        (inflow::STAKER_DEPOSIT as u8, usd(5_000.0), usd(5_000.0))
    );
    let f = env.insurance_fund().await;
    assert_eq!(
        (
            f.balance,
            f.total_shares,
            f.pending_unstake_shares,
            f.share_epoch
        ),
        (usd(5_000.0), usd(5_000.0), 0, 1)
    );
    assert_eq!(insurance_vault_balance(&mut env).await, usd(5_000.0));
    let rec = stake_record(&mut env, &n.key()).await.unwrap();
    assert_eq!((rec.epoch, rec.shares), (1, usd(5_000.0)));
    // S's record still reads epoch 0: its 5 000e6 shares are worth nothing.
    let rec = stake_record(&mut env, &s.key()).await.unwrap();
    assert_eq!((rec.epoch, rec.shares), (0, usd(5_000.0)));
    assert_eq!(bulwark::engine::staking::live_shares(&rec, &f), (0, 0));

    // S's old request is void: after the cooldown there is nothing to
    // withdraw; S has no shares to request; nothing moves.
    env.advance_time(COOLDOWN_SECS).await;
    let before = fund_snapshot(&mut env).await;
    env.send_tx_expect_error(&[withdraw(&s)], &[&s.kp], code(E::NoUnstakePending))
        .await;
    env.send_tx_expect_error(&[request(&s, 1)], &[&s.kp], code(E::InsufficientShares))
        .await;
    assert_eq!(fund_snapshot(&mut env).await, before);
    assert_eq!(env.token_balance(&s.token).await, usd(1_000.0));

    // S may stake again, in epoch 1 at the new price (1:1).
    let st: StakeEvent = one(&stake(&mut env, &s, usd(1_000.0)).await);
    assert_eq!(st.shares, usd(1_000.0));
    let rec = stake_record(&mut env, &s.key()).await.unwrap();
    assert_eq!(
        (rec.epoch, rec.shares, rec.unstake_shares, rec.total_staked),
        (1, usd(1_000.0), 0, usd(6_000.0))
    );

    // N's deposit was not diluted by the old shares: it leaves whole.
    send_events(&mut env, &[request(&n, usd(5_000.0))], &[&n.kp]).await;
    assert_eq!(
        env.insurance_fund().await.pending_unstake_shares,
        usd(5_000.0)
    );
    env.advance_time(COOLDOWN_SECS).await;
    let w = withdraw_ok(&mut env, &n).await;
    assert_eq!((w.shares, w.amount), (usd(5_000.0), usd(5_000.0)));
    assert_eq!(env.token_balance(&n.token).await, usd(5_000.0));
    let f = env.insurance_fund().await;
    assert_eq!(
        (f.balance, f.total_shares, f.pending_unstake_shares),
        (usd(1_000.0), usd(1_000.0), 0)
    );
    assert_eq!(insurance_vault_balance(&mut env).await, usd(1_000.0));
}

/// `stake`'s slippage guard: a stake buying fewer shares than `min_shares`
/// fails with SharesBelowMinimum and changes nothing (no tokens move, no
/// stake record, no ledger entry); exactly `min_shares` passes.
#[tokio::test]
async fn stake_min_shares_rejection() {
    let mut env = MarketToml::base().env().await;
    let s = env.new_trader(1_000.0).await;
    stake(&mut env, &s, usd(1_000.0)).await;
    // A donation lifts the price: 1 500e6 atoms over 1 000e6 shares.
    donate(&mut env, usd(500.0)).await;
    let t = env.new_trader(1_000.0).await;
    // 1 000 USD now buy floor(1e9 × (1e9 + 1) / (1.5e9 + 1)) = 666 666 666.
    let expected = 666_666_666;
    let f = env.insurance_fund().await;
    assert_eq!(
        bulwark::engine::staking::quote_stake(usd(1_000.0), f.total_shares, f.balance)
            .unwrap()
            .shares,
        expected
    );
    let before = fund_snapshot(&mut env).await;
    for min in [usd(1_000.0), expected + 1] {
        let i = ix::stake(&t.key(), &t.key(), &t.token, usd(1_000.0), min);
        env.send_tx_expect_error(&[i], &[&t.kp], code(E::SharesBelowMinimum))
            .await;
    }
    assert_eq!(fund_snapshot(&mut env).await, before);
    assert_eq!(env.token_balance(&t.token).await, usd(1_000.0));
    assert!(stake_record(&mut env, &t.key()).await.is_none());
    // Exactly the minimum is enough.
    let i = ix::stake(&t.key(), &t.key(), &t.token, usd(1_000.0), expected);
    let st: StakeEvent = one(&send_events(&mut env, &[i], &[&t.kp]).await);
    assert_eq!(st.shares, expected);
    assert_eq!(env.token_balance(&t.token).await, 0);
}

/// The tracker's item 7: a matured request left standing is not an
/// instant exit held ready ahead of any cover. It can be withdrawn only
/// within `UNSTAKE_WITHDRAW_WINDOW_SECS` (2 days) after its cooldown; then
/// `withdraw_unstake` fails with UnstakeRequestLapsed and changes nothing,
/// and a new request replaces it — value at today's price, a full cooldown
/// again — keeping the fund's pending count.
#[tokio::test]
async fn stale_unstake_exit() {
    use bulwark::state::UNSTAKE_WITHDRAW_WINDOW_SECS as WINDOW;
    assert_eq!(WINDOW, 2 * 24 * 3600);
    let mut env = MarketToml::base().env().await;
    let s = env.new_trader(1_000.0).await;
    let t = env.new_trader(1_000.0).await;
    stake(&mut env, &s, usd(1_000.0)).await;
    stake(&mut env, &t, usd(1_000.0)).await;
    send_events(
        &mut env,
        &[request(&s, usd(400.0)), request(&t, usd(1_000.0))],
        &[&s.kp, &t.kp],
    )
    .await;
    assert_eq!(
        env.insurance_fund().await.pending_unstake_shares,
        usd(1_400.0)
    );
    // The last second of the window: T withdraws; S's request is matured
    // but has not lapsed, so it cannot be replaced yet.
    env.advance_time(COOLDOWN_SECS + WINDOW - 1).await;
    let w = withdraw_ok(&mut env, &t).await;
    assert_eq!(w.amount, usd(1_000.0));
    env.send_tx_expect_error(&[request(&s, 1)], &[&s.kp], code(E::UnstakePending))
        .await;

    // One second later S's request has lapsed: refused, nothing changes.
    env.advance_time(1).await;
    let before = fund_snapshot(&mut env).await;
    assert_eq!(before.2, usd(400.0), "the lapsed request still counts");
    let rec_before = stake_record(&mut env, &s.key()).await.unwrap();
    env.send_tx_expect_error(&[withdraw(&s)], &[&s.kp], code(E::UnstakeRequestLapsed))
        .await;
    assert_eq!(fund_snapshot(&mut env).await, before);
    let rec = stake_record(&mut env, &s.key()).await.unwrap();
    assert_eq!(
        (
            rec.shares,
            rec.unstake_shares,
            rec.unstake_value_at_request,
            rec.unstake_requested_ts,
            rec.total_withdrawn
        ),
        (
            rec_before.shares,
            usd(400.0),
            usd(400.0),
            rec_before.unstake_requested_ts,
            0
        )
    );
    assert_eq!(env.token_balance(&s.token).await, 0);

    // The price moves (a 1 000 USD donation: 2 000e6 atoms over 1 000e6
    // shares); a new request replaces the lapsed one at today's price.
    donate(&mut env, usd(1_000.0)).await;
    let t1 = env.now().await;
    let ev = send_events(&mut env, &[request(&s, usd(300.0))], &[&s.kp]).await;
    let r: UnstakeRequested = one(&ev);
    // floor(300e6 × (2 000e6 + 1) / (1 000e6 + 1)) = 599 999 999.
    assert_eq!(
        (r.shares, r.value_at_request, r.available_ts),
        (usd(300.0), 599_999_999, t1 + COOLDOWN_SECS)
    );
    let rec = stake_record(&mut env, &s.key()).await.unwrap();
    assert_eq!(
        (
            rec.shares,
            rec.unstake_shares,
            rec.unstake_value_at_request,
            rec.unstake_requested_ts
        ),
        (usd(1_000.0), usd(300.0), 599_999_999, t1)
    );
    assert_eq!(
        env.insurance_fund().await.pending_unstake_shares,
        usd(300.0)
    );
    // The new request waits a full cooldown.
    env.send_tx_expect_error(&[withdraw(&s)], &[&s.kp], code(E::CooldownNotOver))
        .await;
    env.advance_time(COOLDOWN_SECS - 1).await;
    env.send_tx_expect_error(&[withdraw(&s)], &[&s.kp], code(E::CooldownNotOver))
        .await;
    env.advance_time(1).await;
    let w = withdraw_ok(&mut env, &s).await;
    assert_eq!((w.shares, w.amount), (usd(300.0), 599_999_999));
    let f = env.insurance_fund().await;
    assert_eq!((f.total_shares, f.pending_unstake_shares), (usd(700.0), 0));
    assert_eq!(env.token_balance(&s.token).await, 599_999_999);
}
