//! PDA seeds, as named constants.

/// Exchange: `["exchange"]`. Also the authority of every market vault.
pub const EXCHANGE_SEED: &[u8] = b"exchange";
/// Market collateral vault: `["market_vault", market]`.
pub const MARKET_VAULT_SEED: &[u8] = b"market_vault";
/// Insurance fund: `["insurance"]`. The authority of the insurance vault.
pub const INSURANCE_SEED: &[u8] = b"insurance";
/// Insurance vault: `["insurance_vault"]`.
pub const INSURANCE_VAULT_SEED: &[u8] = b"insurance_vault";
