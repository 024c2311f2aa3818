//! Instruction builders: one per program instruction, plus the PDAs.

use anchor_lang::prelude::Pubkey;
use anchor_lang::{InstructionData, ToAccountMetas};
use anchor_spl::token::spl_token;
use bulwark::engine::trade::OrderParams;
use bulwark::instructions::{CreateMarketArgs, InitializeExchangeArgs};
use bulwark::state::*;
use solana_instruction::{AccountMeta, Instruction};

pub fn exchange_pda() -> Pubkey {
    Pubkey::find_program_address(&[EXCHANGE_SEED], &bulwark::ID).0
}
pub fn insurance_pda() -> Pubkey {
    Pubkey::find_program_address(&[INSURANCE_SEED], &bulwark::ID).0
}
pub fn insurance_vault_pda() -> Pubkey {
    Pubkey::find_program_address(&[INSURANCE_VAULT_SEED], &bulwark::ID).0
}
pub fn insurance_ledger_pda() -> Pubkey {
    Pubkey::find_program_address(&[INSURANCE_LEDGER_SEED], &bulwark::ID).0
}
pub fn stake_pda(owner: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[STAKE_SEED, owner.as_ref()], &bulwark::ID).0
}
/// Anchor's event authority (for `emit_cpi!` self-invocations).
pub fn event_authority() -> Pubkey {
    Pubkey::find_program_address(&[b"__event_authority"], &bulwark::ID).0
}
/// The program's ProgramData account under the BPF upgradeable loader
/// (`initialize_exchange` checks its upgrade authority).
pub fn program_data_address() -> Pubkey {
    bulwark::instructions::initialize_exchange::program_data_address()
}
/// A market's seat-rent escrow (`["rent_escrow", market]`).
pub fn rent_escrow_pda(market: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[RENT_ESCROW_SEED, market.as_ref()], &bulwark::ID).0
}

pub fn market_vault_pda(market: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[MARKET_VAULT_SEED, market.as_ref()], &bulwark::ID).0
}

fn ix(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction {
        program_id: bulwark::ID,
        accounts: accounts.to_account_metas(None),
        data: data.data(),
    }
}

pub fn initialize_exchange(
    admin: &Pubkey,
    collateral_mint: &Pubkey,
    args: InitializeExchangeArgs,
) -> Instruction {
    ix(
        bulwark::accounts::InitializeExchange {
            admin: *admin,
            exchange: exchange_pda(),
            insurance: insurance_pda(),
            insurance_vault: insurance_vault_pda(),
            collateral_mint: *collateral_mint,
            token_program: spl_token::ID,
            system_program: anchor_lang::system_program::ID,
            program_data: program_data_address(),
        },
        bulwark::instruction::InitializeExchange { args },
    )
}

/// The system instruction that creates the market account (header and book,
/// no seats yet: the seat table grows as seats are claimed; owned by the
/// program), to be followed by `create_market` in the same transaction.
pub fn create_market_account(
    payer: &Pubkey,
    market: &Pubkey,
    lamports: u64,
    book_capacity: u32,
) -> Instruction {
    solana_system_interface::instruction::create_account(
        payer,
        market,
        lamports,
        Market::account_size(0, book_capacity) as u64,
        &bulwark::ID,
    )
}

pub fn create_market(
    admin: &Pubkey,
    market: &Pubkey,
    collateral_mint: &Pubkey,
    args: CreateMarketArgs,
) -> Instruction {
    ix(
        bulwark::accounts::CreateMarket {
            admin: *admin,
            exchange: exchange_pda(),
            market: *market,
            vault: market_vault_pda(market),
            rent_escrow: rent_escrow_pda(market),
            collateral_mint: *collateral_mint,
            token_program: spl_token::ID,
            system_program: anchor_lang::system_program::ID,
        },
        bulwark::instruction::CreateMarket { args },
    )
}

fn move_collateral(
    owner: &Pubkey,
    market: &Pubkey,
    owner_token: &Pubkey,
) -> bulwark::accounts::MoveCollateral {
    bulwark::accounts::MoveCollateral {
        owner: *owner,
        exchange: exchange_pda(),
        market: *market,
        vault: market_vault_pda(market),
        owner_token: *owner_token,
        rent_escrow: rent_escrow_pda(market),
        token_program: spl_token::ID,
        system_program: anchor_lang::system_program::ID,
    }
}

// Every seat instruction names its seat by index (`seat`): the owner's
// seat, found in the fetched market with `client::seat_index`, or for a
// first deposit the next index at the end of the table
// (`client::deposit_seat`), which grows by one seat whose rent the owner
// pays. The program checks the owner at that index (`WrongSeatIndex`
// otherwise).

pub fn deposit(
    owner: &Pubkey,
    market: &Pubkey,
    seat: u32,
    owner_token: &Pubkey,
    amount: u64,
) -> Instruction {
    ix(
        move_collateral(owner, market, owner_token),
        bulwark::instruction::Deposit { amount, seat },
    )
}

pub fn withdraw(
    owner: &Pubkey,
    market: &Pubkey,
    seat: u32,
    owner_token: &Pubkey,
    amount: u64,
) -> Instruction {
    ix(
        move_collateral(owner, market, owner_token),
        bulwark::instruction::Withdraw { amount, seat },
    )
}

pub fn release_seat(owner: &Pubkey, market: &Pubkey, seat: u32) -> Instruction {
    ix(
        bulwark::accounts::ReleaseSeat {
            owner: *owner,
            market: *market,
        },
        bulwark::instruction::ReleaseSeat { seat },
    )
}

pub fn set_market_status(admin: &Pubkey, market: &Pubkey, status: MarketStatus) -> Instruction {
    ix(
        bulwark::accounts::AdminMarket {
            admin: *admin,
            exchange: exchange_pda(),
            market: *market,
        },
        bulwark::instruction::SetMarketStatus {
            status: status as u8,
        },
    )
}

pub fn set_exchange_pause(admin: &Pubkey, flags: u8) -> Instruction {
    ix(
        bulwark::accounts::AdminExchange {
            admin: *admin,
            exchange: exchange_pda(),
        },
        bulwark::instruction::SetExchangePause { flags },
    )
}

/// The insurance fund is always passed (needed for `ParamKey::Insurance*`).
fn change_param(admin: &Pubkey, market: Option<&Pubkey>) -> bulwark::accounts::ChangeParam {
    bulwark::accounts::ChangeParam {
        admin: *admin,
        exchange: exchange_pda(),
        market: market.copied(),
        insurance: Some(insurance_pda()),
    }
}

pub fn set_param(
    admin: &Pubkey,
    market: Option<&Pubkey>,
    key: ParamKey,
    index: u8,
    value: i64,
) -> Instruction {
    ix(
        change_param(admin, market),
        bulwark::instruction::SetParam {
            key: key as u16,
            index,
            value,
        },
    )
}

pub fn queue_param_change(
    admin: &Pubkey,
    market: Option<&Pubkey>,
    key: ParamKey,
    index: u8,
    value: i64,
) -> Instruction {
    ix(
        change_param(admin, market),
        bulwark::instruction::QueueParamChange {
            key: key as u16,
            index,
            value,
        },
    )
}

pub fn apply_param_change(admin: &Pubkey, market: Option<&Pubkey>, slot: u8) -> Instruction {
    ix(
        change_param(admin, market),
        bulwark::instruction::ApplyParamChange { slot },
    )
}

pub fn cancel_param_change(admin: &Pubkey, slot: u8) -> Instruction {
    ix(
        change_param(admin, None),
        bulwark::instruction::CancelParamChange { slot },
    )
}

/// `feeds` in the market's configured order.
fn change_key(
    admin: &Pubkey,
    market: Option<&Pubkey>,
    new_account: Option<&Pubkey>,
) -> bulwark::accounts::ChangeKey {
    bulwark::accounts::ChangeKey {
        admin: *admin,
        exchange: exchange_pda(),
        market: market.copied(),
        new_account: new_account.copied(),
    }
}

/// The admin proposes `new_admin` (it accepts after the timelock).
pub fn propose_admin(admin: &Pubkey, new_admin: &Pubkey) -> Instruction {
    ix(
        change_key(admin, None, None),
        bulwark::instruction::ProposeAdmin {
            new_admin: *new_admin,
        },
    )
}

/// The proposed admin takes over (signed by it).
pub fn accept_admin(new_admin: &Pubkey) -> Instruction {
    ix(
        bulwark::accounts::AcceptAdmin {
            new_admin: *new_admin,
            exchange: exchange_pda(),
        },
        bulwark::instruction::AcceptAdmin {},
    )
}

/// Queues a key change; `market` is required for `KeyKind::Feed`.
pub fn queue_key_change(
    admin: &Pubkey,
    market: Option<&Pubkey>,
    kind: KeyKind,
    index: u8,
    new_key: &Pubkey,
) -> Instruction {
    ix(
        change_key(admin, market, None),
        bulwark::instruction::QueueKeyChange {
            kind: kind as u8,
            index,
            new_key: *new_key,
        },
    )
}

/// Applies the pending key change: `new_account` is the new treasury token
/// account or the new feed (with `market`); none for the Pyth program.
pub fn apply_key_change(
    admin: &Pubkey,
    market: Option<&Pubkey>,
    new_account: Option<&Pubkey>,
) -> Instruction {
    ix(
        change_key(admin, market, new_account),
        bulwark::instruction::ApplyKeyChange {},
    )
}

pub fn cancel_key_change(admin: &Pubkey) -> Instruction {
    ix(
        change_key(admin, None, None),
        bulwark::instruction::CancelKeyChange {},
    )
}

pub fn refresh_prices(market: &Pubkey, feeds: &[Pubkey]) -> Instruction {
    let mut i = ix(
        bulwark::accounts::RefreshPrices {
            exchange: exchange_pda(),
            market: *market,
        },
        bulwark::instruction::RefreshPrices {},
    );
    i.accounts
        .extend(feeds.iter().map(|k| AccountMeta::new_readonly(*k, false)));
    i
}

fn trader_market(owner: &Pubkey, market: &Pubkey) -> bulwark::accounts::TraderMarket {
    bulwark::accounts::TraderMarket {
        owner: *owner,
        exchange: exchange_pda(),
        market: *market,
    }
}

pub fn place_order(owner: &Pubkey, market: &Pubkey, seat: u32, params: OrderParams) -> Instruction {
    ix(
        trader_market(owner, market),
        bulwark::instruction::PlaceOrder { params, seat },
    )
}

pub fn cancel_order(owner: &Pubkey, market: &Pubkey, seat: u32, order_id: u64) -> Instruction {
    ix(
        trader_market(owner, market),
        bulwark::instruction::CancelOrder { order_id, seat },
    )
}

pub fn cancel_order_by_client_id(
    owner: &Pubkey,
    market: &Pubkey,
    seat: u32,
    client_order_id: u64,
) -> Instruction {
    ix(
        trader_market(owner, market),
        bulwark::instruction::CancelOrderByClientId {
            client_order_id,
            seat,
        },
    )
}

pub fn cancel_all_orders(owner: &Pubkey, market: &Pubkey, seat: u32) -> Instruction {
    ix(
        trader_market(owner, market),
        bulwark::instruction::CancelAllOrders { seat },
    )
}

pub fn update_funding(market: &Pubkey) -> Instruction {
    ix(
        bulwark::accounts::RefreshPrices {
            exchange: exchange_pda(),
            market: *market,
        },
        bulwark::instruction::UpdateFunding {},
    )
}

pub fn sweep_fees(market: &Pubkey, treasury: &Pubkey) -> Instruction {
    ix(
        bulwark::accounts::SweepFees {
            exchange: exchange_pda(),
            market: *market,
            vault: market_vault_pda(market),
            insurance: insurance_pda(),
            insurance_vault: insurance_vault_pda(),
            treasury: *treasury,
            ledger: insurance_ledger_pda(),
            token_program: spl_token::ID,
            event_authority: event_authority(),
            program: bulwark::ID,
        },
        bulwark::instruction::SweepFees {},
    )
}

fn liquidate_accounts(
    keeper: &Pubkey,
    market: &Pubkey,
    keeper_token: Option<Pubkey>,
) -> bulwark::accounts::Liquidate {
    bulwark::accounts::Liquidate {
        keeper: *keeper,
        exchange: exchange_pda(),
        market: *market,
        vault: market_vault_pda(market),
        keeper_token,
        token_program: spl_token::ID,
        event_authority: event_authority(),
        program: bulwark::ID,
    }
}

/// `liquidate` of `trader`'s seat `seat`, by a keeper with a seat
/// (`keeper_seat`: its fee share goes there), or without one and without a
/// fee account (the share stays with the fund).
pub fn liquidate(
    keeper: &Pubkey,
    market: &Pubkey,
    trader: &Pubkey,
    seat: u32,
    keeper_seat: Option<u32>,
) -> Instruction {
    liquidate_to(keeper, market, trader, seat, keeper_seat, None)
}

/// `liquidate` naming the keeper's collateral token account: a keeper that
/// names no seat is paid its fee share there.
pub fn liquidate_to(
    keeper: &Pubkey,
    market: &Pubkey,
    trader: &Pubkey,
    seat: u32,
    keeper_seat: Option<u32>,
    keeper_token: Option<Pubkey>,
) -> Instruction {
    ix(
        liquidate_accounts(keeper, market, keeper_token),
        bulwark::instruction::Liquidate {
            trader: *trader,
            seat,
            keeper_seat: keeper_seat.unwrap_or(bulwark::math::NO_SEAT),
        },
    )
}

/// `evict_seat` of `owner`'s dust seat by anyone (`caller`); the
/// collateral goes to `owner_token`, the seat's rent to `owner`.
pub fn evict_seat(
    caller: &Pubkey,
    market: &Pubkey,
    owner: &Pubkey,
    seat: u32,
    owner_token: &Pubkey,
) -> Instruction {
    ix(
        bulwark::accounts::EvictSeat {
            caller: *caller,
            exchange: exchange_pda(),
            market: *market,
            vault: market_vault_pda(market),
            owner_token: *owner_token,
            owner_wallet: *owner,
            token_program: spl_token::ID,
        },
        bulwark::instruction::EvictSeat {
            owner: *owner,
            seat,
        },
    )
}

pub fn takeover(
    keeper: &Pubkey,
    market: &Pubkey,
    trader: &Pubkey,
    seat: u32,
    keeper_seat: u32,
) -> Instruction {
    ix(
        liquidate_accounts(keeper, market, None),
        bulwark::instruction::Takeover {
            trader: *trader,
            seat,
            keeper_seat,
        },
    )
}

pub fn cover_bankruptcy(market: &Pubkey, trader: &Pubkey, seat: u32) -> Instruction {
    ix(
        funded_close_accounts(market),
        bulwark::instruction::CoverBankruptcy {
            trader: *trader,
            seat,
        },
    )
}

/// The accounts of `cover_bankruptcy` and `auto_deleverage` (the fund pays
/// first for what ADL closes).
fn funded_close_accounts(market: &Pubkey) -> bulwark::accounts::CoverBankruptcy {
    bulwark::accounts::CoverBankruptcy {
        exchange: exchange_pda(),
        market: *market,
        vault: market_vault_pda(market),
        insurance: insurance_pda(),
        insurance_vault: insurance_vault_pda(),
        ledger: insurance_ledger_pda(),
        token_program: spl_token::ID,
        event_authority: event_authority(),
        program: bulwark::ID,
    }
}

pub fn auto_deleverage(market: &Pubkey, trader: &Pubkey, seat: u32) -> Instruction {
    ix(
        funded_close_accounts(market),
        bulwark::instruction::AutoDeleverage {
            trader: *trader,
            seat,
        },
    )
}

/// Opens an ADL ranking round for `trader`'s bankrupt seat (a market too
/// large for `auto_deleverage` in one transaction); anyone may send it.
pub fn adl_begin(caller: &Pubkey, market: &Pubkey, trader: &Pubkey, seat: u32) -> Instruction {
    ix(
        bulwark::accounts::AdlRoundBegin {
            caller: *caller,
            exchange: exchange_pda(),
            market: *market,
            insurance: insurance_pda(),
            event_authority: event_authority(),
            program: bulwark::ID,
        },
        bulwark::instruction::AdlBegin {
            trader: *trader,
            seat,
        },
    )
}

fn adl_step_accounts(caller: &Pubkey, market: &Pubkey) -> bulwark::accounts::AdlRoundStep {
    bulwark::accounts::AdlRoundStep {
        caller: *caller,
        exchange: exchange_pda(),
        market: *market,
        event_authority: event_authority(),
        program: bulwark::ID,
    }
}

/// Ranks up to `max_seats` more seats of the open round.
pub fn adl_scan(caller: &Pubkey, market: &Pubkey, max_seats: u32) -> Instruction {
    ix(
        adl_step_accounts(caller, market),
        bulwark::instruction::AdlScan { max_seats },
    )
}

/// Closes the round's bankrupt seat once every seat is ranked.
pub fn adl_execute(market: &Pubkey) -> Instruction {
    ix(
        funded_close_accounts(market),
        bulwark::instruction::AdlExecute {},
    )
}

/// Ends a round left open for `ADL_ROUND_MAX_SLOTS` slots.
pub fn adl_abort(caller: &Pubkey, market: &Pubkey) -> Instruction {
    ix(
        adl_step_accounts(caller, market),
        bulwark::instruction::AdlAbort {},
    )
}

pub fn init_insurance_ledger(payer: &Pubkey) -> Instruction {
    ix(
        bulwark::accounts::InitInsuranceLedger {
            payer: *payer,
            insurance: insurance_pda(),
            ledger: insurance_ledger_pda(),
            system_program: anchor_lang::system_program::ID,
        },
        bulwark::instruction::InitInsuranceLedger {},
    )
}

pub fn grow_insurance_ledger() -> Instruction {
    ix(
        bulwark::accounts::GrowInsuranceLedger {
            insurance: insurance_pda(),
            ledger: insurance_ledger_pda(),
        },
        bulwark::instruction::GrowInsuranceLedger {},
    )
}

/// `stake_owner` is the staker itself, or `exchange_pda()` for the
/// protocol's own capital (signed by the admin).
fn stake_accounts(
    staker: &Pubkey,
    stake_owner: &Pubkey,
    staker_token: &Pubkey,
) -> bulwark::accounts::StakeAccounts {
    bulwark::accounts::StakeAccounts {
        staker: *staker,
        stake_owner: *stake_owner,
        exchange: exchange_pda(),
        insurance: insurance_pda(),
        insurance_vault: insurance_vault_pda(),
        ledger: insurance_ledger_pda(),
        stake: stake_pda(stake_owner),
        staker_token: *staker_token,
        token_program: spl_token::ID,
        system_program: anchor_lang::system_program::ID,
        event_authority: event_authority(),
        program: bulwark::ID,
    }
}

/// Stakes `amount` quote atoms; the program refuses it with
/// `SharesBelowMinimum` when it would buy fewer than `min_shares` shares
/// (0 = no guard; `staking::quote_stake` gives the expected number).
pub fn stake(
    staker: &Pubkey,
    stake_owner: &Pubkey,
    staker_token: &Pubkey,
    amount: u64,
    min_shares: u64,
) -> Instruction {
    ix(
        stake_accounts(staker, stake_owner, staker_token),
        bulwark::instruction::Stake { amount, min_shares },
    )
}

pub fn request_unstake(
    staker: &Pubkey,
    stake_owner: &Pubkey,
    staker_token: &Pubkey,
    shares: u64,
) -> Instruction {
    ix(
        stake_accounts(staker, stake_owner, staker_token),
        bulwark::instruction::RequestUnstake { shares },
    )
}

pub fn withdraw_unstake(
    staker: &Pubkey,
    stake_owner: &Pubkey,
    staker_token: &Pubkey,
) -> Instruction {
    ix(
        stake_accounts(staker, stake_owner, staker_token),
        bulwark::instruction::WithdrawUnstake {},
    )
}

pub fn audit_insurance() -> Instruction {
    ix(
        bulwark::accounts::AuditInsurance {
            insurance: insurance_pda(),
            insurance_vault: insurance_vault_pda(),
            ledger: insurance_ledger_pda(),
            event_authority: event_authority(),
            program: bulwark::ID,
        },
        bulwark::instruction::AuditInsurance {},
    )
}

pub fn update_tightening(market: &Pubkey) -> Instruction {
    ix(
        bulwark::accounts::UpdateTightening {
            exchange: exchange_pda(),
            market: *market,
            insurance: insurance_pda(),
            event_authority: event_authority(),
            program: bulwark::ID,
        },
        bulwark::instruction::UpdateTightening {},
    )
}
