//! Negative tests for the account classes the other suites leave out, each
//! with its exact error code: `create_market` over a foreign-owned or an
//! initialized account; the same account in two mutable slots of
//! `sweep_fees`, `cover_bankruptcy` and the staking instructions; wrong
//! vaults in `sweep_fees` and `stake`; a wrong token program outside
//! deposit / withdraw; a spoofed event authority in `emit_cpi!`
//! instructions, and an event forged by calling the program's event
//! instruction directly. After every refusal nothing has moved.

use anchor_lang::error::ErrorCode as Anchor;
use anchor_lang::prelude::Pubkey;
use anchor_spl::token::spl_token;
use bulwark::engine::book::Side::{Ask, Bid};
use bulwark::instructions::CreateMarketArgs;
use bulwark::state::{InsuranceLedgerEntry, Market};
use bulwark_app::config::usd;
use bulwark_app::ix;
use bulwark_tests::{
    anchor_code, code, ioc, limit, replace_account, BulwarkError as E, TestEnv, Trader, BTC, ETH,
};
use solana_account::Account;
use solana_instruction::{AccountMeta, Instruction};
use solana_keypair::Keypair;
use solana_signer::Signer;

/// Token-2022's program id: a real token program, but not the one the
/// vaults belong to.
const TOKEN_2022: Pubkey = anchor_spl::token_2022::ID;

/// Token balances of both BTC vaults, the ETH vault, the insurance vault
/// and the treasury, and the fund's balance and ledger sequence.
async fn balances(env: &mut TestEnv) -> Vec<u64> {
    let treasury = env.dep.treasury;
    let fund = env.insurance_fund().await;
    vec![
        env.vault_balance(BTC).await,
        env.vault_balance(ETH).await,
        env.token_balance(&ix::insurance_vault_pda()).await,
        env.token_balance(&treasury).await,
        fund.balance,
        fund.ledger_seq,
    ]
}

/// A BTC-PERP trade of 100 lots at 65 000 between two fresh traders, so
/// that there are fees to sweep; returns the taker.
async fn trade_for_fees(env: &mut TestEnv) -> Trader {
    let maker = env.funded_trader(BTC, 10_000.0).await;
    let taker = env.funded_trader(BTC, 10_000.0).await;
    env.place(&maker, BTC, limit(Ask, 65_000.0, 100)).await;
    env.place(&taker, BTC, ioc(Bid, 65_000.0, 100)).await;
    let h = env.market_header(BTC).await;
    assert!(h.state.unswept_insurance_fees > 0 && h.state.unswept_treasury_fees > 0);
    taker
}

/// `create_market` for BTC-PERP's spec (capacities and config) over the
/// account `market`, without creating it first.
fn create_market_ix(env: &TestEnv, market: &Pubkey) -> Instruction {
    let spec = &env.cfg.markets[0];
    let args = CreateMarketArgs {
        name: *b"NEG-PERP\0\0\0\0\0\0\0\0",
        max_seats: spec.max_seats,
        book_capacity: spec.book_capacity,
        config: spec.market_config().expect("market config"),
    };
    ix::create_market(&env.admin(), market, &env.mint(), args)
}

#[tokio::test]
async fn create_market_over_a_foreign_or_initialized_account() {
    let mut env = TestEnv::new().await;
    let spec = env.cfg.markets[0].clone();
    let size = Market::account_size(0, spec.book_capacity);
    let lamports = env.chain.rent_exempt(size).await;
    let num_markets = env.exchange().await.num_markets;

    // A zeroed account of exactly the market's size, but owned by another
    // program (the token program, then the system program): Anchor's owner
    // check on the `zero` account.
    for owner in [spl_token::ID, anchor_lang::system_program::ID] {
        let key = Pubkey::new_unique();
        env.chain.set_account(
            &key,
            Account {
                lamports,
                data: vec![0; size],
                owner,
                executable: false,
                rent_epoch: 0,
            },
        );
        let i = create_market_ix(&env, &key);
        env.send_tx_expect_error(&[i], &[], anchor_code(Anchor::AccountOwnedByWrongProgram))
            .await;
        assert_eq!(env.raw_account(&key).await.owner, owner);
        assert!(env
            .chain
            .account(&ix::market_vault_pda(&key))
            .await
            .is_none());
    }

    // An initialized market (BTC-PERP's bytes, discriminator and all) at a
    // fresh address, so that its vault does not exist yet: the `zero`
    // constraint refuses a non-zero discriminator.
    let btc = env.market(BTC);
    let copy = env.clone_account(&btc, |_| {}).await;
    let i = create_market_ix(&env, &copy);
    env.send_tx_expect_error(&[i], &[], anchor_code(Anchor::ConstraintZero))
        .await;
    assert!(env
        .chain
        .account(&ix::market_vault_pda(&copy))
        .await
        .is_none());

    // BTC-PERP itself: Anchor creates the `init` vault before it checks the
    // `zero` market, and the vault exists, so the system program refuses
    // it first (SystemError::AccountAlreadyInUse = 0). Either way the
    // market is not re-initialized.
    let before = env.raw_account(&btc).await;
    let i = create_market_ix(&env, &btc);
    env.send_tx_expect_error(&[i], &[], 0).await;
    assert_eq!(env.raw_account(&btc).await, before);
    assert_eq!(env.exchange().await.num_markets, num_markets);
}

#[tokio::test]
async fn sweep_fees_rejects_duplicate_and_wrong_vaults() {
    let mut env = TestEnv::new().await;
    let taker = trade_for_fees(&mut env).await;
    let market = env.market(BTC);
    let treasury = env.dep.treasury;
    let (vault, ins_vault) = (ix::market_vault_pda(&market), ix::insurance_vault_pda());
    let good = ix::sweep_fees(&market, &treasury);
    let before = balances(&mut env).await;

    // The same token account in two mutable slots.
    let dup = anchor_code(Anchor::ConstraintDuplicateMutableAccount);
    for (from, to) in [
        (vault, ins_vault),
        (ins_vault, vault),
        (treasury, ins_vault),
        (treasury, vault),
    ] {
        let i = replace_account(good.clone(), &from, &to);
        env.send_tx_expect_error(&[i], &[], dup).await;
    }
    // Another market's vault or a trader's account of the collateral mint
    // as the market vault or the insurance vault.
    let eth_vault = env.vault(ETH);
    for (from, to) in [
        (vault, eth_vault),
        (vault, taker.token),
        (ins_vault, eth_vault),
        (ins_vault, taker.token),
    ] {
        let i = replace_account(good.clone(), &from, &to);
        env.send_tx_expect_error(&[i], &[], code(E::WrongVault))
            .await;
    }
    // A treasury other than the exchange's.
    let i = replace_account(good.clone(), &treasury, &taker.token);
    env.send_tx_expect_error(&[i], &[], code(E::WrongTreasury))
        .await;
    assert_eq!(balances(&mut env).await, before);
    // The genuine sweep moves the fees.
    env.send(&[good], &[]).await;
    assert!(env.vault_balance(BTC).await < before[0]);
}

#[tokio::test]
async fn cover_bankruptcy_rejects_duplicate_vaults() {
    let mut env = TestEnv::new().await;
    let t = env.funded_trader(BTC, 1_000.0).await;
    let market = env.market(BTC);
    let (vault, ins_vault) = (ix::market_vault_pda(&market), ix::insurance_vault_pda());
    let seat = env.seat_ix(&market, &t.key()).await;
    let good = ix::cover_bankruptcy(&market, &t.key(), seat);
    let before = balances(&mut env).await;
    let dup = anchor_code(Anchor::ConstraintDuplicateMutableAccount);
    for (from, to) in [(vault, ins_vault), (ins_vault, vault)] {
        let i = replace_account(good.clone(), &from, &to);
        env.send_tx_expect_error(&[i], &[], dup).await;
        // auto_deleverage shares the accounts.
        let i = replace_account(ix::auto_deleverage(&market, &t.key(), seat), &from, &to);
        env.send_tx_expect_error(&[i], &[], dup).await;
    }
    assert_eq!(balances(&mut env).await, before);
    // With genuine accounts the program looks at the seat: not bankrupt.
    env.send_tx_expect_error(&[good], &[], code(E::NotBankrupt))
        .await;
}

#[tokio::test]
async fn staking_rejects_duplicate_and_wrong_vaults() {
    let mut env = TestEnv::new().await;
    let s = env.new_trader(1_000.0).await;
    let ins_vault = ix::insurance_vault_pda();
    let stake = ix::stake(&s.key(), &s.key(), &s.token, usd(500.0), 0);
    let before = balances(&mut env).await;

    // The insurance vault as the staker's token account, or the staker's
    // token account as the insurance vault: one account in two mutable
    // slots. For a withdrawal this would pay the vault to itself.
    let dup = anchor_code(Anchor::ConstraintDuplicateMutableAccount);
    let withdraw = ix::withdraw_unstake(&s.key(), &s.key(), &s.token);
    let request = ix::request_unstake(&s.key(), &s.key(), &s.token, 1);
    for good in [&stake, &request, &withdraw] {
        for (from, to) in [(s.token, ins_vault), (ins_vault, s.token)] {
            let i = replace_account(good.clone(), &from, &to);
            env.send_tx_expect_error(&[i], &[&s.kp], dup).await;
        }
    }
    // Another token account of the collateral mint (the staker's second
    // one, then a market vault) as the insurance vault.
    let mint = env.mint();
    let other = env.token_account(&mint, &s.key()).await;
    for wrong in [other, env.vault(BTC)] {
        for good in [&stake, &withdraw] {
            let i = replace_account(good.clone(), &ins_vault, &wrong);
            env.send_tx_expect_error(&[i], &[&s.kp], code(E::WrongVault))
                .await;
        }
    }
    assert_eq!(balances(&mut env).await, before);
    assert_eq!(env.token_balance(&s.token).await, usd(1_000.0));
    assert!(env.chain.account(&ix::stake_pda(&s.key())).await.is_none());
    env.send(&[stake], &[&s.kp]).await;
    assert_eq!(env.token_balance(&ins_vault).await, before[2] + usd(500.0));
}

#[tokio::test]
async fn wrong_token_program_outside_deposit_and_withdraw() {
    let mut env = TestEnv::new().await;
    let t = trade_for_fees(&mut env).await;
    let s = env.new_trader(1_000.0).await;
    let market = env.market(BTC);
    let treasury = env.dep.treasury;
    let before = balances(&mut env).await;
    let wrong_program = anchor_code(Anchor::InvalidProgramId);
    let seat = env.seat_ix(&market, &t.key()).await;
    let ixs = [
        (ix::sweep_fees(&market, &treasury), None),
        (ix::cover_bankruptcy(&market, &t.key(), seat), None),
        (ix::auto_deleverage(&market, &t.key(), seat), None),
        (
            ix::stake(&s.key(), &s.key(), &s.token, usd(500.0), 0),
            Some(&s.kp),
        ),
        (
            ix::withdraw_unstake(&s.key(), &s.key(), &s.token),
            Some(&s.kp),
        ),
    ];
    // Token-2022 (a real token program, not the vaults'), the system
    // program, and a program of no kind at all.
    for fake in [
        TOKEN_2022,
        anchor_lang::system_program::ID,
        Pubkey::new_unique(),
    ] {
        for (good, signer) in &ixs {
            let i = replace_account(good.clone(), &spl_token::ID, &fake);
            let signers: Vec<&Keypair> = signer.iter().copied().collect();
            env.send_tx_expect_error(&[i], &signers, wrong_program)
                .await;
        }
    }
    assert_eq!(balances(&mut env).await, before);
    assert_eq!(env.token_balance(&s.token).await, usd(1_000.0));
}

#[tokio::test]
async fn spoofed_event_authority_is_rejected() {
    let mut env = TestEnv::new().await;
    let t = trade_for_fees(&mut env).await;
    let k = env.funded_trader(BTC, 1_000.0).await;
    let s = env.new_trader(1_000.0).await;
    let market = env.market(BTC);
    let treasury = env.dep.treasury;
    let before = balances(&mut env).await;
    let header = env.market_header(BTC).await;
    // Any other key in the event authority's slot: a fresh one, or a
    // signer the caller controls (which a real authority never is).
    let forged = Keypair::new();
    let bad = anchor_code(Anchor::ConstraintAddress);
    let seat = env.seat_ix(&market, &t.key()).await;
    let k_seat = env.seat_ix(&market, &k.key()).await;
    let ixs = [
        (ix::cover_bankruptcy(&market, &t.key(), seat), None),
        (
            ix::liquidate(&k.key(), &market, &t.key(), seat, Some(k_seat)),
            Some(&k.kp),
        ),
        (
            ix::takeover(&k.key(), &market, &t.key(), seat, k_seat),
            Some(&k.kp),
        ),
        (ix::sweep_fees(&market, &treasury), None),
        (
            ix::stake(&s.key(), &s.key(), &s.token, usd(500.0), 0),
            Some(&s.kp),
        ),
        (ix::audit_insurance(), None),
    ];
    for (good, signer) in &ixs {
        let mut signers: Vec<&Keypair> = signer.iter().copied().collect();
        let i = replace_account(good.clone(), &ix::event_authority(), &Pubkey::new_unique());
        env.send_tx_expect_error(&[i], &signers, bad).await;
        let mut i = replace_account(good.clone(), &ix::event_authority(), &forged.pubkey());
        for m in i
            .accounts
            .iter_mut()
            .filter(|m| m.pubkey == forged.pubkey())
        {
            m.is_signer = true;
        }
        signers.push(&forged);
        env.send_tx_expect_error(&[i], &signers, bad).await;
    }
    assert_eq!(balances(&mut env).await, before);
    assert_eq!(
        env.market_header(BTC).await.state.unswept_insurance_fees,
        header.state.unswept_insurance_fees
    );
}

/// `emit_cpi!` events are the program calling itself, signed by its event
/// authority PDA. An outsider calling that event instruction directly (to
/// plant a fake insurance ledger entry in indexers' event streams) cannot
/// sign for the PDA: Anchor's event dispatch refuses it.
#[tokio::test]
async fn forged_event_instruction_is_rejected() {
    let mut env = TestEnv::new().await;
    let fake = InsuranceLedgerEntry {
        seq: 0,
        amount: usd(1_000_000.0),
        ..Default::default()
    };
    let mut data = anchor_lang::event::EVENT_IX_TAG_LE.to_vec();
    data.extend_from_slice(&anchor_lang::Event::data(&fake));
    let forged = Instruction {
        program_id: bulwark::ID,
        accounts: vec![AccountMeta::new_readonly(ix::event_authority(), false)],
        data,
    };
    env.send_tx_expect_error(&[forged], &[], anchor_code(Anchor::ConstraintSigner))
        .await;
}
