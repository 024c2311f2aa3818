//! Bulwark's client library: instruction builders, account decoding, the
//! embedded chain, bootstrap, the invariant checker and simulate. The app
//! reuses the program's own types and engine (`no-entrypoint`), so what it
//! computes is what the program computes.

pub mod apply;
pub mod audit;
pub mod bootstrap;
pub mod bridge;
pub mod chain;
pub mod chain_trait;
pub mod client;
pub mod commands;
pub mod config;
pub mod invariants;
pub mod ix;
pub mod keeper;
pub mod keeper_adl;
pub mod keeper_loop;
pub mod localnet;
pub mod pyth;
pub mod rpc;
pub mod simulate;
pub mod trader;

pub use chain::{EmbeddedChain, TxError, TxOk};
