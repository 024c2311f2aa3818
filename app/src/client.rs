//! Reading the exchange from any [`Chain`]: the exchange and insurance
//! accounts, market discovery (by name or address), associated token
//! accounts, and program error names (from the committed IDL).

use crate::chain::TxError;
use crate::chain_trait::Chain;
use crate::ix;
use anchor_lang::prelude::Pubkey;
use anchor_lang::Discriminator;
use anchor_spl::token::spl_token;
use bulwark::engine::sandbox::MarketBuf;
use bulwark::state::{Exchange, InsuranceFund, InsuranceStake, Market, MarketRef};
use solana_instruction::{AccountMeta, Instruction};
use std::str::FromStr;

/// The SPL associated-token-account program.
pub const ATA_PROGRAM_ID: Pubkey =
    Pubkey::from_str_const("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL");

/// The associated token account of `owner` for `mint` (SPL Token).
pub fn associated_token_address(owner: &Pubkey, mint: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(
        &[owner.as_ref(), spl_token::ID.as_ref(), mint.as_ref()],
        &ATA_PROGRAM_ID,
    )
    .0
}

/// `CreateIdempotent`: creates `owner`'s associated token account for
/// `mint` unless it exists (paid by `payer`).
pub fn create_associated_token_account_idempotent(
    payer: &Pubkey,
    owner: &Pubkey,
    mint: &Pubkey,
) -> Instruction {
    Instruction {
        program_id: ATA_PROGRAM_ID,
        accounts: vec![
            AccountMeta::new(*payer, true),
            AccountMeta::new(associated_token_address(owner, mint), false),
            AccountMeta::new_readonly(*owner, false),
            AccountMeta::new_readonly(*mint, false),
            AccountMeta::new_readonly(anchor_lang::system_program::ID, false),
            AccountMeta::new_readonly(spl_token::ID, false),
        ],
        data: vec![1],
    }
}

/// Decodes a zero-copy Anchor account (discriminator checked).
pub fn decode<T: bytemuck::Pod + Discriminator>(data: &[u8]) -> Option<T> {
    let n = core::mem::size_of::<T>();
    (data.len() >= 8 + n && &data[..8] == T::DISCRIMINATOR)
        .then(|| bytemuck::pod_read_unaligned(&data[8..8 + n]))
}

pub async fn exchange<C: Chain>(chain: &mut C) -> Option<Box<Exchange>> {
    decode::<Exchange>(&chain.account_data(&ix::exchange_pda()).await).map(Box::new)
}

pub async fn insurance_fund<C: Chain>(chain: &mut C) -> Option<InsuranceFund> {
    decode(&chain.account_data(&ix::insurance_pda()).await)
}

pub async fn stake_account<C: Chain>(chain: &mut C, owner: &Pubkey) -> Option<InsuranceStake> {
    decode(&chain.account_data(&ix::stake_pda(owner)).await)
}

/// A market account as fetched, 8-aligned.
pub struct MarketAccount {
    pub key: Pubkey,
    pub buf: MarketBuf,
}

impl MarketAccount {
    pub fn view(&self) -> MarketRef<'_> {
        self.buf.view_ref()
    }
    pub fn name(&self) -> String {
        self.view().header.name_str().to_string()
    }
    /// `owner`'s seat index here, for the seat instructions.
    pub fn seat(&self, owner: &Pubkey) -> Result<u32, String> {
        seat_index(self.buf.bytes(), owner)
            .ok_or_else(|| format!("{owner} has no seat in {} (deposit first)", self.name()))
    }
    /// The seat a deposit by `owner` names: its own, else a new one at the
    /// end of the table.
    pub fn deposit_seat(&self, owner: &Pubkey) -> Result<u32, String> {
        deposit_seat(self.buf.bytes(), owner)
            .ok_or_else(|| format!("{} is at its max_seats", self.name()))
    }
    /// The market's oracle feeds, in its configured order.
    pub fn feeds(&self) -> Vec<Pubkey> {
        let o = self.view().header.config.oracle;
        o.feeds[..o.num_feeds as usize].to_vec()
    }
}

/// Every market of the exchange, in key order.
pub async fn list_markets<C: Chain>(chain: &mut C) -> Vec<MarketAccount> {
    let exchange = ix::exchange_pda();
    chain
        .program_accounts(Market::DISCRIMINATOR)
        .await
        .into_iter()
        .filter_map(|(key, d)| {
            let buf = MarketBuf::from_account_data(&d);
            MarketRef::from_bytes(buf.bytes()).ok()?;
            Some(MarketAccount { key, buf })
        })
        .filter(|m| m.view().header.exchange == exchange)
        .collect()
}

/// One market by address.
pub async fn fetch_market<C: Chain>(chain: &mut C, key: &Pubkey) -> Result<MarketAccount, String> {
    let d = chain.account_data(key).await;
    if d.is_empty() {
        return Err(format!("market {key}: no such account"));
    }
    let buf = MarketBuf::from_account_data(&d);
    MarketRef::from_bytes(buf.bytes()).map_err(|e| format!("market {key}: {e}"))?;
    Ok(MarketAccount { key: *key, buf })
}

/// A market by name (e.g. `BTC-PERP`) or address.
pub async fn find_market<C: Chain>(chain: &mut C, which: &str) -> Result<MarketAccount, String> {
    if let Ok(k) = Pubkey::from_str(which) {
        return fetch_market(chain, &k).await;
    }
    let all = list_markets(chain).await;
    let names: Vec<String> = all.iter().map(|m| m.name()).collect();
    all.into_iter()
        .find(|m| m.name() == which)
        .ok_or_else(|| format!("no market named {which:?} (markets: {})", names.join(", ")))
}

/// The markets `which` names, or every market when it is empty.
pub async fn select_markets<C: Chain>(
    chain: &mut C,
    which: &[String],
) -> Result<Vec<MarketAccount>, String> {
    if which.is_empty() {
        return Ok(list_markets(chain).await);
    }
    let mut out = Vec::new();
    for w in which {
        out.push(find_market(chain, w).await?);
    }
    Ok(out)
}

/// The index of `owner`'s seat in a market account's bytes (the first one
/// if it holds several), as every seat instruction wants it.
pub fn seat_index(market_data: &[u8], owner: &Pubkey) -> Option<u32> {
    // Copied into aligned memory: account data need not be.
    let b = MarketBuf::from_account_data(market_data);
    let m = bulwark::state::MarketRef::from_bytes(b.bytes()).ok()?;
    bulwark::engine::collateral::find_seat(m.seats, owner).map(|i| i as u32)
}

/// The seat a deposit by `owner` names: its own, else a free one, else the
/// next index at the end of the table, which the deposit adds (`None`: the
/// table is at `max_seats`).
pub fn deposit_seat(market_data: &[u8], owner: &Pubkey) -> Option<u32> {
    let b = MarketBuf::from_account_data(market_data);
    let m = bulwark::state::MarketRef::from_bytes(b.bytes()).ok()?;
    bulwark::engine::collateral::deposit_seat(m.seats, owner)
        .map(|i| i as u32)
        .or_else(|| (m.header.seat_count < m.header.max_seats).then_some(m.header.seat_count))
}

/// [`seat_index`] of a market read from `chain`.
pub async fn seat_on<C: Chain>(chain: &mut C, market: &Pubkey, owner: &Pubkey) -> Option<u32> {
    seat_index(&chain.account_data(market).await, owner)
}

/// [`deposit_seat`] of a market read from `chain`.
pub async fn deposit_seat_on<C: Chain>(
    chain: &mut C,
    market: &Pubkey,
    owner: &Pubkey,
) -> Option<u32> {
    deposit_seat(&chain.account_data(market).await, owner)
}

/// Insurance ledger entries among `emit_cpi!` payloads (the data of the
/// program's self-invocations after Anchor's 8-byte event tag), in order.
pub fn ledger_entries_from_cpi(payloads: &[Vec<u8>]) -> Vec<bulwark::state::InsuranceLedgerEntry> {
    use anchor_lang::AnchorDeserialize;
    use bulwark::state::InsuranceLedgerEntry;
    payloads
        .iter()
        .filter(|d| d.len() >= 8 && &d[..8] == InsuranceLedgerEntry::DISCRIMINATOR)
        .filter_map(|d| InsuranceLedgerEntry::deserialize(&mut &d[8..]).ok())
        .collect()
}

/// `(name, message)` of an error code: the program's own errors
/// (`bulwark::error::ErrorCode`, `6000 + variant`) from the committed IDL,
/// and Anchor's framework errors (`anchor_lang::error::ErrorCode`, below
/// 6000) from Anchor itself.
pub fn error_name(code: u32) -> Option<(String, String)> {
    if code >= anchor_lang::error::ERROR_CODE_OFFSET {
        program_error_name(code)
    } else {
        anchor_error_name(code)
    }
}

fn program_error_name(code: u32) -> Option<(String, String)> {
    static IDL: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    let idl = IDL.get_or_init(|| {
        serde_json::from_str(include_str!("../../idl/bulwark.json")).unwrap_or_default()
    });
    idl.get("errors")?.as_array()?.iter().find_map(|e| {
        (e.get("code")?.as_u64()? == code as u64).then(|| {
            (
                e.get("name")
                    .and_then(|n| n.as_str())
                    .unwrap_or("")
                    .to_string(),
                e.get("msg")
                    .and_then(|n| n.as_str())
                    .unwrap_or("")
                    .to_string(),
            )
        })
    })
}

fn anchor_error_name(code: u32) -> Option<(String, String)> {
    use anchor_lang::error::ErrorCode as E;
    macro_rules! all {
        ($($v:ident),* $(,)?) => {
            [$(E::$v),*]
        };
    }
    // Every variant of Anchor 1.2's `ErrorCode` (it has no `from(u32)`).
    let all = all![
        InstructionMissing,
        InstructionFallbackNotFound,
        InstructionDidNotDeserialize,
        InstructionDidNotSerialize,
        IdlInstructionStub,
        IdlInstructionInvalidProgram,
        IdlAccountNotEmpty,
        EventInstructionStub,
        ConstraintMut,
        ConstraintHasOne,
        ConstraintSigner,
        ConstraintRaw,
        ConstraintOwner,
        ConstraintRentExempt,
        ConstraintSeeds,
        ConstraintExecutable,
        ConstraintState,
        ConstraintAssociated,
        ConstraintAssociatedInit,
        ConstraintClose,
        ConstraintAddress,
        ConstraintZero,
        ConstraintTokenMint,
        ConstraintTokenOwner,
        ConstraintMintMintAuthority,
        ConstraintMintFreezeAuthority,
        ConstraintMintDecimals,
        ConstraintSpace,
        ConstraintAccountIsNone,
        ConstraintTokenTokenProgram,
        ConstraintMintTokenProgram,
        ConstraintAssociatedTokenTokenProgram,
        ConstraintMintGroupPointerExtension,
        ConstraintMintGroupPointerExtensionAuthority,
        ConstraintMintGroupPointerExtensionGroupAddress,
        ConstraintMintGroupMemberPointerExtension,
        ConstraintMintGroupMemberPointerExtensionAuthority,
        ConstraintMintGroupMemberPointerExtensionMemberAddress,
        ConstraintMintMetadataPointerExtension,
        ConstraintMintMetadataPointerExtensionAuthority,
        ConstraintMintMetadataPointerExtensionMetadataAddress,
        ConstraintMintCloseAuthorityExtension,
        ConstraintMintCloseAuthorityExtensionAuthority,
        ConstraintMintPermanentDelegateExtension,
        ConstraintMintPermanentDelegateExtensionDelegate,
        ConstraintMintTransferHookExtension,
        ConstraintMintTransferHookExtensionAuthority,
        ConstraintMintTransferHookExtensionProgramId,
        ConstraintDuplicateMutableAccount,
        AccountAlreadyMigrated,
        AccountNotMigrated,
        ConstraintMintPausableExtension,
        ConstraintMintPausableAuthority,
        RequireViolated,
        RequireEqViolated,
        RequireKeysEqViolated,
        RequireNeqViolated,
        RequireKeysNeqViolated,
        RequireGtViolated,
        RequireGteViolated,
        AccountDiscriminatorAlreadySet,
        AccountDiscriminatorNotFound,
        AccountDiscriminatorMismatch,
        AccountDidNotDeserialize,
        AccountDidNotSerialize,
        AccountNotEnoughKeys,
        AccountNotMutable,
        AccountOwnedByWrongProgram,
        InvalidProgramId,
        InvalidProgramExecutable,
        AccountNotSigner,
        AccountNotSystemOwned,
        AccountNotInitialized,
        AccountNotProgramData,
        AccountNotAssociatedTokenAccount,
        AccountSysvarMismatch,
        AccountReallocExceedsLimit,
        AccountDuplicateReallocs,
        DeclaredProgramIdMismatch,
        TryingToInitPayerAsProgramAccount,
        InvalidNumericConversion,
        Deprecated,
    ];
    all.iter()
        .find(|e| u32::from(**e) == code)
        .map(|e| (e.name(), e.to_string()))
}

/// An error code in words: `6049 FillOrKillNotFilled: Fill-or-kill order
/// could not be filled completely` (just the number when it is not the
/// program's or Anchor's). Every CLI command, simulate and the test harness
/// name errors with this.
pub fn error_label(code: u32) -> String {
    match error_name(code) {
        Some((name, msg)) if msg.is_empty() => format!("{code} {name}"),
        Some((name, msg)) => format!("{code} {name}: {msg}"),
        None => format!("{code}"),
    }
}

/// [`error_label`] of an optional code (`None`: the failure was not a
/// program error, e.g. a transport error).
pub fn error_label_opt(code: Option<u32>) -> String {
    code.map_or_else(|| "not a program error".to_string(), error_label)
}

/// A transaction error in words, with the program error's name and message.
/// (`TxError`'s `Display` names the error with [`error_label`].)
pub fn describe_error(e: &TxError) -> String {
    e.to_string()
}
