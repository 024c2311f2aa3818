//! PDA seeds, as named constants.

/// Exchange: `["exchange"]`. Also the authority of every market vault.
pub const EXCHANGE_SEED: &[u8] = b"exchange";
/// Market collateral vault: `["market_vault", market]`.
pub const MARKET_VAULT_SEED: &[u8] = b"market_vault";
/// Insurance fund: `["insurance"]`. The authority of the insurance vault.
pub const INSURANCE_SEED: &[u8] = b"insurance";
/// Insurance vault: `["insurance_vault"]`.
pub const INSURANCE_VAULT_SEED: &[u8] = b"insurance_vault";
/// Insurance ledger ring buffer: `["insurance_ledger"]`.
pub const INSURANCE_LEDGER_SEED: &[u8] = b"insurance_ledger";
/// Insurance stake: `["stake", owner]` (owner = exchange PDA for the protocol).
pub const STAKE_SEED: &[u8] = b"stake";
