use crate::engine::params::{validate_bounds, validate_timelock};
use crate::error::ErrorCode;
use crate::math::QUOTE_DECIMALS;
use crate::state::*;
use anchor_lang::prelude::*;
use anchor_lang::solana_program::bpf_loader_upgradeable;
use anchor_spl::token::{Mint, Token, TokenAccount};

#[derive(AnchorSerialize, AnchorDeserialize, Clone)]
pub struct InitializeExchangeArgs {
    /// Owner every legacy (v2 push) oracle account must have.
    pub pyth_program: Pubkey,
    /// Owner every pull-oracle `PriceUpdateV2` account must have (the Pyth
    /// Solana receiver, `rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ` on
    /// mainnet).
    pub pyth_receiver: Pubkey,
    /// seconds a loosening change waits.
    pub timelock_secs: i64,
    pub bounds: ParamBounds,
    /// Token account of the collateral mint that receives the treasury's
    /// share of fees (`sweep_fees` checks its mint).
    pub treasury: Pubkey,
}

#[derive(Accounts)]
pub struct InitializeExchange<'info> {
    #[account(mut)]
    pub admin: Signer<'info>,
    #[account(init, payer = admin, space = Exchange::SPACE, seeds = [EXCHANGE_SEED], bump)]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(init, payer = admin, space = InsuranceFund::SPACE, seeds = [INSURANCE_SEED], bump)]
    pub insurance: AccountLoader<'info, InsuranceFund>,
    #[account(
        init,
        payer = admin,
        seeds = [INSURANCE_VAULT_SEED],
        bump,
        token::mint = collateral_mint,
        token::authority = insurance,
    )]
    pub insurance_vault: Account<'info, TokenAccount>,
    pub collateral_mint: Account<'info, Mint>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
    /// The program's ProgramData account under the upgradeable loader: only
    /// its upgrade authority may initialize the exchange (no front-run
    /// between deployment and initialization).
    /// CHECK: address, owner and contents are checked in `validate`.
    pub program_data: UncheckedAccount<'info>,
}

/// The ProgramData address of this program under the BPF upgradeable loader.
pub fn program_data_address() -> Pubkey {
    bpf_loader_upgradeable::get_program_data_address(&crate::ID)
}

/// Bytes of the ProgramData header: the bincode `UpgradeableLoaderState`
/// tag (u32 = 3), the deployment slot (u64) and the upgrade authority
/// (`Option<Pubkey>`: a 1-byte tag, then 32 bytes).
pub const PROGRAM_DATA_HEADER_LEN: usize = 4 + 8 + 1 + 32;
const PROGRAM_DATA_TAG: u32 = 3;

/// The upgrade authority stored in a ProgramData account's data (`None`
/// for an immutable program or data that is not a ProgramData header).
pub fn upgrade_authority(data: &[u8]) -> Option<Pubkey> {
    if data.len() < PROGRAM_DATA_HEADER_LEN {
        return None;
    }
    let tag = u32::from_le_bytes(data[0..4].try_into().ok()?);
    if tag != PROGRAM_DATA_TAG || data[12] != 1 {
        return None;
    }
    Some(Pubkey::new_from_array(data[13..45].try_into().ok()?))
}

/// A ProgramData header naming `authority` (test harnesses write it where
/// no real deployment exists).
pub fn program_data_header(authority: &Pubkey) -> Vec<u8> {
    let mut d = Vec::with_capacity(PROGRAM_DATA_HEADER_LEN);
    d.extend_from_slice(&PROGRAM_DATA_TAG.to_le_bytes());
    d.extend_from_slice(&0u64.to_le_bytes());
    d.push(1);
    d.extend_from_slice(authority.as_ref());
    d
}

impl InitializeExchange<'_> {
    /// The signer must be the upgrade authority in this program's own
    /// ProgramData account.
    pub fn validate(&self) -> Result<()> {
        let pd = &self.program_data;
        require_keys_eq!(
            pd.key(),
            program_data_address(),
            ErrorCode::WrongProgramData
        );
        require_keys_eq!(
            *pd.owner,
            bpf_loader_upgradeable::ID,
            ErrorCode::WrongProgramData
        );
        let authority = upgrade_authority(&pd.try_borrow_data()?);
        require!(
            authority == Some(self.admin.key()),
            ErrorCode::NotUpgradeAuthority
        );
        Ok(())
    }
}

pub fn handler(ctx: Context<InitializeExchange>, args: InitializeExchangeArgs) -> Result<()> {
    ctx.accounts.validate()?;
    require!(
        ctx.accounts.collateral_mint.decimals == QUOTE_DECIMALS,
        ErrorCode::InvalidCollateralMint
    );
    validate_bounds(&args.bounds)?;
    validate_timelock(args.timelock_secs)?;

    let mut ex = ctx.accounts.exchange.load_init()?;
    ex.version = EXCHANGE_VERSION;
    ex.bump = ctx.bumps.exchange;
    ex.insurance_bump = ctx.bumps.insurance;
    ex.insurance_vault_bump = ctx.bumps.insurance_vault;
    ex.admin = ctx.accounts.admin.key();
    ex.collateral_mint = ctx.accounts.collateral_mint.key();
    ex.pyth_program = args.pyth_program;
    ex.pyth_receiver = args.pyth_receiver;
    ex.timelock_secs = args.timelock_secs;
    ex.bounds = args.bounds;
    ex.treasury = args.treasury;

    let mut fund = ctx.accounts.insurance.load_init()?;
    fund.version = INSURANCE_VERSION;
    fund.bump = ctx.bumps.insurance;
    fund.vault_bump = ctx.bumps.insurance_vault;
    fund.exchange = ctx.accounts.exchange.key();
    fund.vault = ctx.accounts.insurance_vault.key();
    fund.unstake_cooldown_secs = DEFAULT_UNSTAKE_COOLDOWN_SECS;
    fund.tighten_coverage_bps = DEFAULT_TIGHTEN_COVERAGE_BPS;
    fund.reduce_only_coverage_bps = DEFAULT_REDUCE_ONLY_COVERAGE_BPS;
    fund.coverage_hysteresis_bps = DEFAULT_COVERAGE_HYSTERESIS_BPS;
    fund.tightened_im_multiplier_ppm = DEFAULT_TIGHTENED_IM_MULTIPLIER_PPM;

    emit!(ExchangeInitializedV2 {
        admin: ex.admin,
        collateral_mint: ex.collateral_mint,
        pyth_program: ex.pyth_program,
        pyth_receiver: ex.pyth_receiver,
        timelock_secs: ex.timelock_secs,
    });
    Ok(())
}
