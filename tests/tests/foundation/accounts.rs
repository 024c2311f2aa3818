//! Account validation: signers, other people's seats and tokens, wrong
//! mints, vaults, PDAs, programs and spoofed accounts.

use anchor_lang::error::ErrorCode as Anchor;
use anchor_lang::prelude::Pubkey;
use anchor_spl::token::spl_token;
use bulwark::state::ParamKey;
use bulwark_app::config::usd;
use bulwark_app::ix;
use bulwark_tests::{
    anchor_code, code, deposit_ix, move_collateral_accounts, replace_account, unsign, withdraw_ix,
    BulwarkError as E, TestEnv, Trader, BTC, ETH,
};

/// An environment with a victim holding 1 000 USD in BTC-PERP.
async fn with_victim() -> (TestEnv, Trader) {
    let mut env = TestEnv::new().await;
    let victim = env.new_trader(5_000.0).await;
    env.deposit(&victim, BTC, usd(1_000.0)).await;
    (env, victim)
}

/// Balances of the victim's token account and seat, and of the vault.
async fn snapshot(env: &mut TestEnv, victim: &Trader) -> (u64, i64, u64) {
    (
        env.token_balance(&victim.token).await,
        env.seat_collateral(BTC, &victim.key()).await,
        env.vault_balance(BTC).await,
    )
}

#[tokio::test]
async fn missing_owner_signature_is_rejected() {
    let (mut env, victim) = with_victim().await;
    let market = env.market(BTC);
    let before = snapshot(&mut env, &victim).await;
    let not_signer = anchor_code(Anchor::AccountNotSigner);
    let seat = env.seat_ix(&market, &victim.key()).await;

    // The victim's own instructions, with the owner's signer flag cleared,
    // sent signed by the payer only.
    let d = unsign(
        ix::deposit(&victim.key(), &market, seat, &victim.token, usd(100.0)),
        &victim.key(),
    );
    env.send_tx_expect_error(&[d], &[], not_signer).await;
    let w = unsign(
        ix::withdraw(&victim.key(), &market, seat, &victim.token, usd(100.0)),
        &victim.key(),
    );
    env.send_tx_expect_error(&[w], &[], not_signer).await;

    // An attacker naming the victim as owner and its own token account as
    // the destination (the attacker's key is in no account slot, so only
    // the fee payer signs).
    let attacker = env.new_trader(0.0).await;
    let steal = unsign(
        ix::withdraw(&victim.key(), &market, seat, &attacker.token, usd(1_000.0)),
        &victim.key(),
    );
    env.send_tx_expect_error(&[steal], &[], not_signer).await;

    assert_eq!(snapshot(&mut env, &victim).await, before);
    assert_eq!(env.token_balance(&attacker.token).await, 0);
}

#[tokio::test]
async fn attacker_without_a_seat_cannot_withdraw() {
    let (mut env, victim) = with_victim().await;
    let before = snapshot(&mut env, &victim).await;
    let attacker = env.new_trader(0.0).await;
    let market = env.market(BTC);
    let market_before = env.raw_account(&market).await.data;
    // Naming the victim's seat (the program checks the owner at the index),
    // a free seat and an index past the table.
    let victim_seat = env.seat_ix(&market, &victim.key()).await;
    let free_seat = env.deposit_seat_ix(&market, &attacker.key()).await;
    assert_ne!(free_seat, victim_seat);
    for seat in [victim_seat, free_seat, u32::MAX] {
        for amount in [1, usd(1_000.0)] {
            let w = ix::withdraw(&attacker.key(), &market, seat, &attacker.token, amount);
            env.send_tx_expect_error(&[w], &[&attacker.kp], code(E::WrongSeatIndex))
                .await;
        }
    }
    assert_eq!(env.raw_account(&market).await.data, market_before);
    assert_eq!(snapshot(&mut env, &victim).await, before);
    assert_eq!(env.token_balance(&attacker.token).await, 0);
}

#[tokio::test]
async fn attacker_with_a_seat_cannot_take_more_than_its_own() {
    let (mut env, victim) = with_victim().await;
    let attacker = env.new_trader(10.0).await;
    env.deposit(&attacker, BTC, usd(10.0)).await;
    let before = snapshot(&mut env, &victim).await;
    let market = env.market(BTC);
    let seat = env.seat_ix(&market, &attacker.key()).await;
    let victim_seat = env.seat_ix(&market, &victim.key()).await;

    for amount in [usd(10.0) + 1, usd(500.0), usd(1_010.0)] {
        let w = ix::withdraw(&attacker.key(), &market, seat, &attacker.token, amount);
        env.send_tx_expect_error(&[w], &[&attacker.kp], code(E::InsufficientFreeCollateral))
            .await;
        // Naming the victim's seat instead: not the attacker's.
        let w = ix::withdraw(
            &attacker.key(),
            &market,
            victim_seat,
            &attacker.token,
            amount,
        );
        env.send_tx_expect_error(&[w], &[&attacker.kp], code(E::WrongSeatIndex))
            .await;
    }
    assert_eq!(snapshot(&mut env, &victim).await, before);

    // Its own 10 USD it may take, and no more afterwards.
    env.withdraw(&attacker, BTC, usd(10.0)).await;
    assert_eq!(env.token_balance(&attacker.token).await, usd(10.0));
    let w = ix::withdraw(&attacker.key(), &market, seat, &attacker.token, 1);
    env.send_tx_expect_error(&[w], &[&attacker.kp], code(E::InsufficientFreeCollateral))
        .await;
    let (token, seat, vault) = snapshot(&mut env, &victim).await;
    assert_eq!((token, seat), (before.0, before.1));
    assert_eq!(vault, usd(1_000.0));
}

#[tokio::test]
async fn deposit_from_a_victims_token_account_fails() {
    let (mut env, victim) = with_victim().await;
    let before = snapshot(&mut env, &victim).await;
    let attacker = env.new_trader(0.0).await;
    // The attacker signs as owner but the tokens are the victim's: the token
    // program refuses the transfer (the attacker is not the authority).
    let market = env.market(BTC);
    let seat = env.deposit_seat_ix(&market, &attacker.key()).await;
    let d = ix::deposit(&attacker.key(), &market, seat, &victim.token, usd(500.0));
    env.send_tx_expect_error(
        &[d],
        &[&attacker.kp],
        spl_token::error::TokenError::OwnerMismatch as u32,
    )
    .await;
    assert_eq!(snapshot(&mut env, &victim).await, before);
    assert!(env.seat(BTC, &attacker.key()).await.is_none());
}

#[tokio::test]
async fn wrong_mint_is_rejected() {
    let (mut env, victim) = with_victim().await;
    let market = env.market(BTC);
    let other_mint = env.other_mint().await;
    let fake = env.token_account(&other_mint, &victim.key()).await;
    env.chain
        .mint_to(&other_mint, &fake, usd(1_000.0))
        .await
        .expect("mint");
    let before = snapshot(&mut env, &victim).await;
    let seat = env.seat_ix(&market, &victim.key()).await;

    let d = ix::deposit(&victim.key(), &market, seat, &fake, usd(1_000.0));
    env.send_tx_expect_error(&[d], &[&victim.kp], code(E::WrongMint))
        .await;
    let w = ix::withdraw(&victim.key(), &market, seat, &fake, usd(100.0));
    env.send_tx_expect_error(&[w], &[&victim.kp], code(E::WrongMint))
        .await;
    assert_eq!(env.token_balance(&fake).await, usd(1_000.0));
    assert_eq!(snapshot(&mut env, &victim).await, before);
}

#[tokio::test]
async fn wrong_vault_is_rejected() {
    let (mut env, victim) = with_victim().await;
    let market = env.market(BTC);
    let attacker = env.new_trader(100.0).await;
    env.deposit(&attacker, BTC, usd(100.0)).await;
    let before = snapshot(&mut env, &victim).await;
    let mint = env.mint();
    // Another token account of the collateral mint, and the ETH market's vault.
    let own = env.token_account(&mint, &attacker.key()).await;
    let eth_vault = env.vault(ETH);
    let seat = env.seat_ix(&market, &attacker.key()).await;

    for vault in [own, eth_vault] {
        let accounts = || {
            let mut a = move_collateral_accounts(&attacker.key(), &market, &attacker.token);
            a.vault = vault;
            a
        };
        env.send_tx_expect_error(
            &[deposit_ix(accounts(), 1, seat)],
            &[&attacker.kp],
            code(E::WrongVault),
        )
        .await;
        env.send_tx_expect_error(
            &[withdraw_ix(accounts(), 1, seat)],
            &[&attacker.kp],
            code(E::WrongVault),
        )
        .await;
    }
    assert_eq!(snapshot(&mut env, &victim).await, before);
    assert_eq!(env.vault_balance(ETH).await, 0);
    assert_eq!(
        env.seat_collateral(BTC, &attacker.key()).await,
        usd(100.0) as i64
    );
}

#[tokio::test]
async fn vault_as_owner_token_is_a_duplicate() {
    let (mut env, victim) = with_victim().await;
    let market = env.market(BTC);
    let before = snapshot(&mut env, &victim).await;
    let vault = env.vault(BTC);
    // Anchor's duplicate-mutable-account check on `vault` / `owner_token`
    // fires before the program's own `DuplicateAccount` constraint.
    let dup = anchor_code(Anchor::ConstraintDuplicateMutableAccount);
    let seat = env.seat_ix(&market, &victim.key()).await;
    let d = ix::deposit(&victim.key(), &market, seat, &vault, usd(100.0));
    env.send_tx_expect_error(&[d], &[&victim.kp], dup).await;
    let w = ix::withdraw(&victim.key(), &market, seat, &vault, usd(100.0));
    env.send_tx_expect_error(&[w], &[&victim.kp], dup).await;
    assert_eq!(snapshot(&mut env, &victim).await, before);
}

#[tokio::test]
async fn fake_exchange_is_rejected() {
    let (mut env, victim) = with_victim().await;
    let market = env.market(BTC);
    let exchange = ix::exchange_pda();
    let before = snapshot(&mut env, &victim).await;
    let attacker = env.new_trader(0.0).await;
    let seat = env.seat_ix(&market, &victim.key()).await;

    // A byte-for-byte copy of the exchange at a non-PDA address, owned by
    // the program: the address check (the exchange PDA's fixed address,
    // `EXCHANGE_ADDRESS`) catches it.
    let copy = env.clone_account(&exchange, |_| {}).await;
    let d = replace_account(
        ix::deposit(&victim.key(), &market, seat, &victim.token, usd(1.0)),
        &exchange,
        &copy,
    );
    env.send_tx_expect_error(&[d], &[&victim.kp], code(E::WrongExchange))
        .await;
    let w = replace_account(
        ix::withdraw(&victim.key(), &market, seat, &victim.token, usd(1.0)),
        &exchange,
        &copy,
    );
    env.send_tx_expect_error(&[w], &[&victim.kp], code(E::WrongExchange))
        .await;

    // A copy naming the attacker as admin cannot be used to change anything.
    let forged = env
        .clone_account(&exchange, |a| {
            // data = [8 discriminator][version, bump, 2 bumps, pause, 3 pad][admin]
            a.data[16..48].copy_from_slice(attacker.key().as_ref());
        })
        .await;
    let p = replace_account(
        ix::set_param(
            &attacker.key(),
            Some(&market),
            ParamKey::PriceBandBps,
            0,
            300,
        ),
        &exchange,
        &forged,
    );
    env.send_tx_expect_error(&[p], &[&attacker.kp], code(E::WrongExchange))
        .await;
    let s = replace_account(
        ix::set_exchange_pause(&attacker.key(), 0),
        &exchange,
        &forged,
    );
    env.send_tx_expect_error(&[s], &[&attacker.kp], code(E::WrongExchange))
        .await;

    // An account the program does not own.
    let d = replace_account(
        ix::deposit(&victim.key(), &market, seat, &victim.token, usd(1.0)),
        &exchange,
        &Pubkey::new_unique(),
    );
    env.send_tx_expect_error(
        &[d],
        &[&victim.kp],
        anchor_code(Anchor::AccountOwnedByWrongProgram),
    )
    .await;

    assert_eq!(snapshot(&mut env, &victim).await, before);
    assert_eq!(env.market_header(BTC).await.config.price_band_bps, 500);
}

#[tokio::test]
async fn spoofed_market_is_rejected() {
    let (mut env, victim) = with_victim().await;
    let market = env.market(BTC);
    let before = snapshot(&mut env, &victim).await;
    let attacker = env.new_trader(0.0).await;
    let seat = env.seat_ix(&market, &victim.key()).await;

    // A copy of the market where the attacker's seat holds a fortune, owned
    // by another program.
    let foreign = env
        .clone_account(&market, |a| a.owner = Pubkey::new_unique())
        .await;
    let mut accounts = move_collateral_accounts(&victim.key(), &foreign, &victim.token);
    accounts.vault = env.vault(BTC);
    env.send_tx_expect_error(
        &[withdraw_ix(accounts, usd(1.0), seat)],
        &[&victim.kp],
        anchor_code(Anchor::AccountOwnedByWrongProgram),
    )
    .await;

    // Owned by the program but not a market: a market with its discriminator
    // zeroed, and the insurance fund.
    let no_disc = env
        .clone_account(&market, |a| a.data[..8].copy_from_slice(&[0; 8]))
        .await;
    for spoof in [no_disc, ix::insurance_pda()] {
        let mut accounts = move_collateral_accounts(&victim.key(), &spoof, &victim.token);
        accounts.vault = env.vault(BTC);
        env.send_tx_expect_error(
            &[withdraw_ix(accounts, usd(1.0), seat)],
            &[&victim.kp],
            anchor_code(Anchor::AccountDiscriminatorMismatch),
        )
        .await;
        let r = ix::refresh_prices(&spoof, &env.feeds(BTC));
        env.send_tx_expect_error(&[r], &[], anchor_code(Anchor::AccountDiscriminatorMismatch))
            .await;
    }

    // The same for release_seat and the admin instructions.
    let r = ix::release_seat(&attacker.key(), &foreign, seat);
    env.send_tx_expect_error(
        &[r],
        &[&attacker.kp],
        anchor_code(Anchor::AccountOwnedByWrongProgram),
    )
    .await;
    let admin = env.admin();
    let s = ix::set_market_status(&admin, &no_disc, bulwark::state::MarketStatus::Paused);
    env.send_tx_expect_error(&[s], &[], anchor_code(Anchor::AccountDiscriminatorMismatch))
        .await;
    assert_eq!(snapshot(&mut env, &victim).await, before);
}

#[tokio::test]
async fn wrong_token_program_is_rejected() {
    let (mut env, victim) = with_victim().await;
    let market = env.market(BTC);
    let before = snapshot(&mut env, &victim).await;
    // A program that would do nothing on "transfer" would credit collateral
    // for free: the token program's id is checked.
    let fake = Pubkey::new_unique();
    let seat = env.seat_ix(&market, &victim.key()).await;
    for deposit in [true, false] {
        let mut a = move_collateral_accounts(&victim.key(), &market, &victim.token);
        a.token_program = fake;
        let i = if deposit {
            deposit_ix(a, usd(100.0), seat)
        } else {
            withdraw_ix(a, usd(100.0), seat)
        };
        env.send_tx_expect_error(&[i], &[&victim.kp], anchor_code(Anchor::InvalidProgramId))
            .await;
    }
    assert_eq!(snapshot(&mut env, &victim).await, before);
}
