//! Bulwark: an on-chain perpetual-futures exchange whose risk waterfall is
//! written in the program. Entry points only; the work is in `engine`.

use anchor_lang::prelude::*;

pub mod engine;
pub mod error;
pub mod instructions;
pub mod math;
pub mod oracle;
pub mod state;

use instructions::*;

declare_id!("ABZhXVdXiFRVS9EH8ungJyLVUqjMQ75EzKuzSdC3Xdrw");

#[program]
pub mod bulwark {
    use super::*;

    /// Creates the exchange, the insurance fund and its vault.
    pub fn initialize_exchange(
        ctx: Context<InitializeExchange>,
        args: InitializeExchangeArgs,
    ) -> Result<()> {
        instructions::initialize_exchange::handler(ctx, args)
    }

    /// Attaches a client-created market account and creates its vault.
    pub fn create_market(ctx: Context<CreateMarket>, args: CreateMarketArgs) -> Result<()> {
        instructions::create_market::handler(ctx, args)
    }

    /// Moves collateral into the trader's seat at index `seat`: its own, or
    /// a free one it claims. Every seat instruction takes the seat's index
    /// (found off-chain in the market account) and checks its owner, so no
    /// instruction's cost depends on where the seat sits.
    pub fn deposit(ctx: Context<MoveCollateral>, amount: u64, seat: u32) -> Result<()> {
        instructions::deposit::handler(ctx, amount, seat)
    }

    /// Moves free collateral back to the trader.
    pub fn withdraw(ctx: Context<MoveCollateral>, amount: u64, seat: u32) -> Result<()> {
        instructions::withdraw::handler(ctx, amount, seat)
    }

    /// Frees the signer's empty seat.
    pub fn release_seat(ctx: Context<ReleaseSeat>, seat: u32) -> Result<()> {
        instructions::release_seat::handler(ctx, seat)
    }

    /// Anyone: frees `owner`'s dust seat (flat, no orders, collateral below
    /// the market's minimum), returning its collateral to the owner.
    pub fn evict_seat(ctx: Context<EvictSeat>, owner: Pubkey, seat: u32) -> Result<()> {
        instructions::evict_seat::handler(ctx, owner, seat)
    }

    /// Operator: Active / ReduceOnly / Paused.
    pub fn set_market_status(ctx: Context<AdminMarket>, status: u8) -> Result<()> {
        instructions::admin::set_market_status(ctx, status)
    }

    /// Operator: exchange-wide pause flags (deposits, trading, new markets).
    pub fn set_exchange_pause(ctx: Context<AdminExchange>, flags: u8) -> Result<()> {
        instructions::admin::set_exchange_pause(ctx, flags)
    }

    /// Operator: a tightening parameter change, applied at once.
    pub fn set_param(ctx: Context<ChangeParam>, key: u16, index: u8, value: i64) -> Result<()> {
        instructions::params::set_param(ctx, key, index, value)
    }

    /// Operator: queue a change behind the timelock.
    pub fn queue_param_change(
        ctx: Context<ChangeParam>,
        key: u16,
        index: u8,
        value: i64,
    ) -> Result<()> {
        instructions::params::queue_param_change(ctx, key, index, value)
    }

    /// Operator: apply a queued change once its timelock has passed.
    pub fn apply_param_change(ctx: Context<ChangeParam>, slot: u8) -> Result<()> {
        instructions::params::apply_param_change(ctx, slot)
    }

    /// Operator: withdraw a queued change.
    pub fn cancel_param_change(ctx: Context<ChangeParam>, slot: u8) -> Result<()> {
        instructions::params::cancel_param_change(ctx, slot)
    }

    /// Operator: propose a new admin; it takes over with `accept_admin`
    /// after the timelock.
    pub fn propose_admin(ctx: Context<ChangeKey>, new_admin: Pubkey) -> Result<()> {
        instructions::keys::propose_admin(ctx, new_admin)
    }

    /// The proposed admin, once the timelock has passed: take over.
    pub fn accept_admin(ctx: Context<AcceptAdmin>) -> Result<()> {
        instructions::keys::accept_admin(ctx)
    }

    /// Operator: queue a treasury, Pyth-program, Pyth-receiver or feed
    /// change (`KeyKind`) behind the timelock.
    pub fn queue_key_change(
        ctx: Context<ChangeKey>,
        kind: u8,
        index: u8,
        new_key: Pubkey,
    ) -> Result<()> {
        instructions::keys::queue_key_change(ctx, kind, index, new_key)
    }

    /// Operator: apply the pending key change after the timelock (a new
    /// feed keeps the slot's kind and feed id and must pass the oracle
    /// checks of that kind).
    pub fn apply_key_change(ctx: Context<ChangeKey>) -> Result<()> {
        instructions::keys::apply_key_change(ctx)
    }

    /// Operator: withdraw the pending key change.
    pub fn cancel_key_change(ctx: Context<ChangeKey>) -> Result<()> {
        instructions::keys::cancel_key_change(ctx)
    }

    /// Trader: place an order (limit, post-only, IOC, market, fill-or-kill;
    /// optionally reduce-only, with a client id and an expiry).
    pub fn place_order(
        ctx: Context<TraderMarket>,
        params: engine::trade::OrderParams,
        seat: u32,
    ) -> Result<()> {
        instructions::place_order::handler(ctx, params, seat)
    }

    /// Trader: cancel one order by its exchange id.
    pub fn cancel_order(ctx: Context<TraderMarket>, order_id: u64, seat: u32) -> Result<()> {
        instructions::cancel_order::handler(
            ctx,
            engine::trade::CancelWhich::OrderId(order_id),
            seat,
        )
    }

    /// Trader: cancel one order by its client id.
    pub fn cancel_order_by_client_id(
        ctx: Context<TraderMarket>,
        client_order_id: u64,
        seat: u32,
    ) -> Result<()> {
        instructions::cancel_order::handler(
            ctx,
            engine::trade::CancelWhich::ClientId(client_order_id),
            seat,
        )
    }

    /// Trader: cancel all of the seat's orders.
    pub fn cancel_all_orders(ctx: Context<TraderMarket>, seat: u32) -> Result<()> {
        instructions::cancel_order::handler(ctx, engine::trade::CancelWhich::All, seat)
    }

    /// Anyone: apply funding, at most once per interval.
    pub fn update_funding(ctx: Context<RefreshPrices>) -> Result<()> {
        instructions::funding::handler(ctx)
    }

    /// Anyone: move the market's unswept fees to the insurance vault and
    /// the treasury.
    pub fn sweep_fees(ctx: Context<SweepFees>) -> Result<()> {
        instructions::sweep_fees::handler(ctx)
    }

    /// Keeper: liquidate `trader`'s seat (at index `seat`) below maintenance
    /// margin against the book; the keeper's fee share goes to its seat
    /// `keeper_seat` (`NO_SEAT` = none: its token account, else insurance).
    pub fn liquidate(
        ctx: Context<Liquidate>,
        trader: Pubkey,
        seat: u32,
        keeper_seat: u32,
    ) -> Result<()> {
        instructions::waterfall::liquidate(ctx, trader, seat, keeper_seat)
    }

    /// Keeper: take over a liquidatable position at the configured discount
    /// into its own seat `keeper_seat`.
    pub fn takeover(
        ctx: Context<Liquidate>,
        trader: Pubkey,
        seat: u32,
        keeper_seat: u32,
    ) -> Result<()> {
        instructions::waterfall::takeover(ctx, trader, seat, keeper_seat)
    }

    /// Anyone: the insurance fund pays a bankrupt seat's deficit.
    pub fn cover_bankruptcy(
        ctx: Context<CoverBankruptcy>,
        trader: Pubkey,
        seat: u32,
    ) -> Result<()> {
        instructions::waterfall::cover_bankruptcy(ctx, trader, seat)
    }

    /// Anyone: close a bankrupt position against the program-ranked
    /// opposite positions (ADL), or socialize its deficit.
    pub fn auto_deleverage(ctx: Context<CoverBankruptcy>, trader: Pubkey, seat: u32) -> Result<()> {
        instructions::waterfall::auto_deleverage(ctx, trader, seat)
    }

    /// Anyone: open an ADL ranking round for a bankrupt seat of a market too
    /// large for `auto_deleverage` in one transaction. The market is frozen
    /// (only cancels and the round's steps) until it ends.
    pub fn adl_begin(ctx: Context<AdlRoundBegin>, trader: Pubkey, seat: u32) -> Result<()> {
        instructions::adl_round::begin(ctx, trader, seat)
    }

    /// Anyone: rank up to `max_seats` more seats of the open round.
    pub fn adl_scan(ctx: Context<AdlRoundStep>, max_seats: u32) -> Result<()> {
        instructions::adl_round::scan(ctx, max_seats)
    }

    /// Anyone: once every seat is ranked, close the side's most bankrupt
    /// seat against the program-ranked counterparties; ends the round.
    pub fn adl_execute(ctx: Context<CoverBankruptcy>) -> Result<()> {
        instructions::adl_round::execute(ctx)
    }

    /// Anyone: end a round not executed within `ADL_ROUND_MAX_SLOTS`.
    pub fn adl_abort(ctx: Context<AdlRoundStep>) -> Result<()> {
        instructions::adl_round::abort(ctx)
    }

    /// Anyone: create the insurance ledger's ring buffer (10 KiB at first).
    pub fn init_insurance_ledger(ctx: Context<InitInsuranceLedger>) -> Result<()> {
        instructions::insurance::init_insurance_ledger(ctx)
    }

    /// Anyone: grow the ledger by 10 KiB until its full size.
    pub fn grow_insurance_ledger(ctx: Context<GrowInsuranceLedger>) -> Result<()> {
        instructions::insurance::grow_insurance_ledger(ctx)
    }

    /// Anyone: deposit collateral into the insurance fund for shares
    /// (the admin stakes the protocol's own capital as the exchange PDA).
    pub fn stake(ctx: Context<StakeAccounts>, amount: u64, min_shares: u64) -> Result<()> {
        instructions::insurance::stake(ctx, amount, min_shares)
    }

    /// Staker: request to unstake; withdrawable after the cooldown.
    pub fn request_unstake(ctx: Context<StakeAccounts>, shares: u64) -> Result<()> {
        instructions::insurance::request_unstake(ctx, shares)
    }

    /// Staker: withdraw a matured request at min(value at request, value now).
    pub fn withdraw_unstake(ctx: Context<StakeAccounts>) -> Result<()> {
        instructions::insurance::withdraw_unstake(ctx)
    }

    /// Anyone: reconcile the insurance vault with the ledger.
    pub fn audit_insurance(ctx: Context<AuditInsurance>) -> Result<()> {
        instructions::insurance::audit_insurance(ctx)
    }

    /// Anyone: recompute a market's coverage-driven tightening level.
    pub fn update_tightening(ctx: Context<UpdateTightening>) -> Result<()> {
        instructions::insurance::update_tightening(ctx)
    }

    /// Anyone: refresh the index from the market's Pyth feeds.
    pub fn refresh_prices<'info>(ctx: Context<'info, RefreshPrices<'info>>) -> Result<()> {
        instructions::refresh_prices::handler(ctx)
    }
}
