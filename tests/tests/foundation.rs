//! Foundation integration tests: collateral, account validation, oracles,
//! parameters and the operator's limits. Every transaction goes through the
//! harness, which checks all invariants after it.

#[path = "foundation/accounts.rs"]
mod accounts;
#[path = "foundation/admin_keys.rs"]
mod admin_keys;
#[path = "foundation/collateral.rs"]
mod collateral;
#[path = "foundation/harness.rs"]
mod harness;
#[path = "foundation/negative.rs"]
mod negative;
#[path = "foundation/oracle.rs"]
mod oracle;
#[path = "foundation/oracle_pull.rs"]
mod oracle_pull;
#[path = "foundation/params.rs"]
mod params;
#[path = "foundation/prefund.rs"]
mod prefund;
#[path = "foundation/seat_table.rs"]
mod seat_table;
