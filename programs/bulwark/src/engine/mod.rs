//! The engine: plain functions on `&mut` state, with no Anchor context. The
//! program, the keeper, the auditor and simulate all run these.

pub mod adl;
pub mod adl_round;
#[cfg(test)]
mod adl_round_tests;
#[cfg(test)]
mod adversarial_property;
#[cfg(not(target_os = "solana"))]
pub mod audit;
pub mod book;
pub mod collateral;
pub mod cover;
pub mod deleverage;
#[cfg(test)]
mod griefing_tests;
pub mod guard;
pub mod insurance;
pub mod liquidation;
pub mod margin;
pub mod mark;
pub mod oracle;
pub mod params;
pub mod position;
#[cfg(test)]
mod property_tests;
#[cfg(not(target_os = "solana"))]
pub mod sandbox;
pub mod seat_table;
pub mod staking;
pub mod trade;
#[cfg(test)]
mod trade_tests;
#[cfg(test)]
mod waterfall_property;
#[cfg(test)]
mod waterfall_tests;
