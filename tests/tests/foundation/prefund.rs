//! Pre-funded addresses: anyone may send lamports to an address before the
//! program creates an account there (a PDA's address is known in advance).
//! Every account the program creates must still be created, correctly, at
//! an address that already holds lamports — whether they fall short of the
//! rent (the creator tops up only the difference) or exceed it (nothing is
//! taken from the creator). One test per account kind: exchange, insurance
//! fund, insurance vault, insurance ledger, market vault, stake record.

use anchor_lang::prelude::Pubkey;
use anchor_lang::{AccountDeserialize, Discriminator};
use anchor_spl::token::{spl_token, TokenAccount};
use bulwark::state::{
    Exchange, InsuranceFund, InsuranceLedger, InsuranceStake, Market, EXCHANGE_VERSION,
    INSURANCE_LEDGER_SEED,
};
use bulwark_app::bootstrap::{bootstrap, DeployedMarket};
use bulwark_app::config::{usd, BootstrapConfig};
use bulwark_app::ix;
use bulwark_app::EmbeddedChain;
use bulwark_tests::{TestEnv, CONFIG, WALLET_LAMPORTS};
use solana_account::Account;
use solana_keypair::Keypair;
use solana_signer::Signer;

/// lamports; what the attacker sends when it falls short of the rent: a
/// little more than the rent-exempt minimum of an empty account (890 880),
/// below the rent of every account the program creates.
const DUST: u64 = 1_000_000;
/// lamports; what the attacker sends when it exceeds every rent (1 SOL).
const PLENTY: u64 = 1_000_000_000;

/// A third party's wallet sends `lamports` to `to` with a plain system
/// transfer (it needs no one's permission).
async fn send_lamports(chain: &mut EmbeddedChain, to: &Pubkey, lamports: u64) {
    let attacker = Keypair::new();
    chain
        .airdrop(&attacker.pubkey(), WALLET_LAMPORTS)
        .await
        .expect("fund the attacker");
    let transfer =
        anchor_lang::solana_program::system_instruction::transfer(&attacker.pubkey(), to, lamports);
    chain
        .send(&[transfer], &[&attacker])
        .await
        .expect("the attacker's transfer");
    let a = chain.account(to).await.expect("the address now exists");
    assert_eq!(
        (a.lamports, a.owner, a.data.len()),
        (lamports, anchor_lang::system_program::ID, 0),
        "pre-funded: lamports only, still the system program's"
    );
}

/// A fresh chain where `targets` were pre-funded with `lamports` each
/// before anything was created, then bootstrapped from [`CONFIG`] (which
/// creates the exchange, insurance fund and vault, and the ledger).
async fn prefunded_env(targets: &[Pubkey], lamports: u64) -> TestEnv {
    let cfg = BootstrapConfig::from_toml(CONFIG).expect("test config parses");
    let mut chain = EmbeddedChain::start(vec![]).await;
    for t in targets {
        send_lamports(&mut chain, t, lamports).await;
    }
    let dep = bootstrap(&mut chain, &cfg)
        .await
        .expect("bootstrap over pre-funded addresses");
    let mut env = TestEnv { chain, dep, cfg };
    env.check_invariants().await;
    env
}

/// The account at `key`: owned by `owner`, `space` bytes, holding
/// max(`prefunded`, rent of `space`) lamports (the creator paid only what
/// was missing).
async fn assert_created(
    env: &mut TestEnv,
    key: &Pubkey,
    owner: &Pubkey,
    space: usize,
    prefunded: u64,
) -> Account {
    let a = env.raw_account(key).await;
    let rent = env.chain.rent_exempt(space).await;
    assert_eq!(a.owner, *owner, "{key}: owner");
    assert_eq!(a.data.len(), space, "{key}: size");
    assert_eq!(a.lamports, rent.max(prefunded), "{key}: lamports");
    a
}

/// A stake through the fund proves the vault, fund and ledger work
/// together: tokens move, the fund counts them, the ledger records them.
async fn stake_works(env: &mut TestEnv) {
    let s = env.new_trader(500.0).await;
    let before = env.insurance_fund().await;
    let i = ix::stake(&s.key(), &s.key(), &s.token, usd(500.0), 1);
    env.send(&[i], &[&s.kp]).await;
    let after = env.insurance_fund().await;
    assert_eq!(after.balance, before.balance + usd(500.0));
    assert_eq!(after.ledger_seq, before.ledger_seq + 1);
    assert_eq!(
        env.token_balance(&ix::insurance_vault_pda()).await,
        after.balance
    );
    assert_eq!(env.token_balance(&s.token).await, 0);
    let fund = env.raw_account(&ix::insurance_pda()).await;
    let ledger = env.raw_account(&ix::insurance_ledger_pda()).await;
    assert_eq!(
        bulwark_app::invariants::ledger_ok(&fund.data, &ledger.data),
        Some(true)
    );
    env.send(&[ix::audit_insurance()], &[]).await;
    assert_eq!(env.insurance_fund().await.last_audit_ok, 1);
}

/// The ledger PDA, created by hand in `init_insurance_ledger` (10 KiB, then
/// grown): lamports sent to it first used to make `create_account` fail
/// for ever, and with it sweeps, covers, staking and audits.
#[tokio::test]
async fn insurance_ledger_on_a_prefunded_address() {
    let ledger = ix::insurance_ledger_pda();
    for prefund in [DUST, PLENTY] {
        let mut env = prefunded_env(&[ledger], prefund).await;
        let a = assert_created(
            &mut env,
            &ledger,
            &bulwark::ID,
            InsuranceLedger::SPACE,
            prefund,
        )
        .await;
        assert_eq!(&a.data[..8], InsuranceLedger::DISCRIMINATOR);
        let l: Box<InsuranceLedger> = Box::new(bytemuck::pod_read_unaligned(
            &a.data[8..InsuranceLedger::SPACE],
        ));
        let (_, bump) = Pubkey::find_program_address(&[INSURANCE_LEDGER_SEED], &bulwark::ID);
        assert_eq!((l.fund, l.bump, l.count), (ix::insurance_pda(), bump, 0));
        stake_works(&mut env).await;
    }
}

/// The ledger's creation stays once-only: over the existing ledger (which
/// holds lamports too) the system program refuses to allocate again.
#[tokio::test]
async fn insurance_ledger_is_still_created_once() {
    let mut env = TestEnv::new().await;
    let admin = env.admin();
    let before = env.raw_account(&ix::insurance_ledger_pda()).await;
    // SystemError::AccountAlreadyInUse.
    env.send_tx_expect_error(&[ix::init_insurance_ledger(&admin)], &[], 0)
        .await;
    assert_eq!(env.raw_account(&ix::insurance_ledger_pda()).await, before);
}

/// The exchange PDA (Anchor `init` in `initialize_exchange`).
#[tokio::test]
async fn exchange_on_a_prefunded_address() {
    let exchange = ix::exchange_pda();
    for prefund in [DUST, PLENTY] {
        let mut env = prefunded_env(&[exchange], prefund).await;
        assert_created(&mut env, &exchange, &bulwark::ID, Exchange::SPACE, prefund).await;
        let ex = env.exchange().await;
        assert_eq!(ex.version, EXCHANGE_VERSION);
        assert_eq!((ex.admin, ex.collateral_mint), (env.admin(), env.mint()));
        assert_eq!(ex.num_markets, 2);
        stake_works(&mut env).await;
    }
}

/// The insurance fund PDA (Anchor `init` in `initialize_exchange`).
#[tokio::test]
async fn insurance_fund_on_a_prefunded_address() {
    let insurance = ix::insurance_pda();
    for prefund in [DUST, PLENTY] {
        let mut env = prefunded_env(&[insurance], prefund).await;
        assert_created(
            &mut env,
            &insurance,
            &bulwark::ID,
            InsuranceFund::SPACE,
            prefund,
        )
        .await;
        let fund = env.insurance_fund().await;
        assert_eq!(
            (fund.exchange, fund.vault, fund.balance),
            (ix::exchange_pda(), ix::insurance_vault_pda(), 0)
        );
        stake_works(&mut env).await;
    }
}

/// The insurance vault PDA (an SPL token account, Anchor `init` in
/// `initialize_exchange`).
#[tokio::test]
async fn insurance_vault_on_a_prefunded_address() {
    let vault = ix::insurance_vault_pda();
    for prefund in [DUST, PLENTY] {
        let mut env = prefunded_env(&[vault], prefund).await;
        let a = assert_created(&mut env, &vault, &spl_token::ID, TokenAccount::LEN, prefund).await;
        let t = TokenAccount::try_deserialize(&mut &a.data[..]).expect("a token account");
        assert_eq!(
            (t.mint, t.owner, t.amount),
            (env.mint(), ix::insurance_pda(), 0)
        );
        stake_works(&mut env).await;
    }
}

/// All four exchange-wide PDAs pre-funded at once.
#[tokio::test]
async fn every_exchange_pda_prefunded_at_once() {
    let targets = [
        ix::exchange_pda(),
        ix::insurance_pda(),
        ix::insurance_vault_pda(),
        ix::insurance_ledger_pda(),
    ];
    let mut env = prefunded_env(&targets, DUST).await;
    stake_works(&mut env).await;
}

/// A market's vault PDA (a token account, Anchor `init` in
/// `create_market`): its address follows from the market's, which is in
/// the creating transaction.
#[tokio::test]
async fn market_vault_on_a_prefunded_address() {
    for prefund in [DUST, PLENTY] {
        let mut env = TestEnv::new().await;
        let admin = env.admin();
        let mint = env.mint();
        let mut spec = env.cfg.markets[0].clone();
        spec.name = "PREFUND-PERP".into();
        let market = Keypair::new();
        let vault = ix::market_vault_pda(&market.pubkey());
        send_lamports(&mut env.chain, &vault, prefund).await;

        let size = Market::account_size(0, spec.book_capacity);
        let lamports = env.chain.rent_exempt(size).await;
        let create =
            ix::create_market_account(&admin, &market.pubkey(), lamports, spec.book_capacity);
        let args = bulwark::instructions::CreateMarketArgs {
            name: spec.name_bytes(),
            max_seats: spec.max_seats,
            book_capacity: spec.book_capacity,
            config: spec.market_config().expect("market config"),
        };
        let init = ix::create_market(&admin, &market.pubkey(), &mint, args);
        env.send(&[create, init], &[&market]).await;
        env.dep.markets.push(DeployedMarket {
            name: spec.name.clone(),
            key: market.pubkey(),
            feeds: vec![],
            formats: vec![],
        });

        let a = assert_created(&mut env, &vault, &spl_token::ID, TokenAccount::LEN, prefund).await;
        let t = TokenAccount::try_deserialize(&mut &a.data[..]).expect("a token account");
        assert_eq!((t.mint, t.owner, t.amount), (mint, ix::exchange_pda(), 0));
        let m = env.market_header("PREFUND-PERP").await;
        assert_eq!(m.vault, vault);
        // The vault takes a deposit and gives it back.
        let trader = env.new_trader(100.0).await;
        env.deposit(&trader, "PREFUND-PERP", usd(100.0)).await;
        assert_eq!(env.vault_balance("PREFUND-PERP").await, usd(100.0));
        env.withdraw(&trader, "PREFUND-PERP", usd(100.0)).await;
        assert_eq!(env.token_balance(&trader.token).await, usd(100.0));
    }
}

/// A staker's stake record PDA (Anchor `init_if_needed` in `stake`): its
/// address follows from the staker's key.
#[tokio::test]
async fn stake_record_on_a_prefunded_address() {
    for prefund in [DUST, PLENTY] {
        let mut env = TestEnv::new().await;
        let s = env.new_trader(300.0).await;
        let record = ix::stake_pda(&s.key());
        send_lamports(&mut env.chain, &record, prefund).await;
        let sol_before = env.raw_account(&s.key()).await.lamports;
        let i = ix::stake(&s.key(), &s.key(), &s.token, usd(300.0), 1);
        env.send(&[i], &[&s.kp]).await;

        let a = assert_created(
            &mut env,
            &record,
            &bulwark::ID,
            InsuranceStake::SPACE,
            prefund,
        )
        .await;
        assert_eq!(&a.data[..8], InsuranceStake::DISCRIMINATOR);
        let st: InsuranceStake = bytemuck::pod_read_unaligned(&a.data[8..InsuranceStake::SPACE]);
        let fund = env.insurance_fund().await;
        assert_eq!(
            (st.owner, st.version, st.epoch),
            (s.key(), 1, fund.share_epoch)
        );
        assert_eq!(
            (st.shares, st.total_staked),
            (fund.total_shares, usd(300.0))
        );
        // The staker paid only the rent that was missing.
        let rent = env.chain.rent_exempt(InsuranceStake::SPACE).await;
        let paid = sol_before - env.raw_account(&s.key()).await.lamports;
        assert_eq!(paid, rent.saturating_sub(prefund));
    }
}
