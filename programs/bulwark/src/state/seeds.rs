//! PDA seeds, as named constants, and the addresses of the program's
//! singleton PDAs.

use anchor_lang::prelude::{pubkey, Pubkey};

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
/// A market's seat-rent escrow: `["rent_escrow", market]`. One byte (its
/// bump), owned by the program: a claimer pays a new seat's rent into it
/// and the program moves it to the market in the same instruction, so the
/// market account is never passed to a CPI (which charges per byte).
pub const RENT_ESCROW_SEED: &[u8] = b"rent_escrow";
/// Insurance stake: `["stake", owner]` (owner = exchange PDA for the protocol).
pub const STAKE_SEED: &[u8] = b"stake";

// The singleton PDAs' addresses, fixed by the program id: instructions
// check an account against these (a key comparison) instead of deriving
// the PDA again (`create_program_address`, 1,500 CU each). `tests` below
// checks each against its derivation.

/// `["exchange"]` of this program (bump 255).
pub const EXCHANGE_ADDRESS: Pubkey = pubkey!("7mjx3r9DkCw2bM5UsKrzeCy79m4aDxesAksktpQbCMoS");
/// `["insurance"]` of this program (bump 254).
pub const INSURANCE_ADDRESS: Pubkey = pubkey!("9z8xXryLDVZUK4dBdbm2oQuQebAcC23V85SsHitXsqGg");
/// `["insurance_ledger"]` of this program (bump 254).
pub const INSURANCE_LEDGER_ADDRESS: Pubkey =
    pubkey!("4cKPnFu29Zqjfe5DKNhw3SZaDQfC7U2p6iE7ZgDSD1VY");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn singleton_addresses_are_the_derived_pdas() {
        for (seed, addr) in [
            (EXCHANGE_SEED, EXCHANGE_ADDRESS),
            (INSURANCE_SEED, INSURANCE_ADDRESS),
            (INSURANCE_LEDGER_SEED, INSURANCE_LEDGER_ADDRESS),
        ] {
            let (k, _) = Pubkey::find_program_address(&[seed], &crate::ID);
            assert_eq!(k, addr, "{}", String::from_utf8_lossy(seed));
        }
    }
}
