//! Risk-waterfall integration tests through real transactions on the
//! embedded chain (solana-program-test): liquidation against the book,
//! keeper takeover, OKX's partial step-down, insurance cover with its ledger
//! entry, ADL ranked by the program, socialized loss, staking with its
//! cooldown and min rule, coverage-driven tightening, and every refusal with
//! its exact error code. The harness checks every invariant after every
//! transaction, failed or not.
//!
//! The market (`common::MarketToml::base`) mirrors the engine's scenario
//! tests (`programs/bulwark/src/engine/waterfall_tests.rs`): price 100 USD,
//! 100 lots per unit, no trading fees, IM 5 % / MM 2.5 %, liquidation fee
//! 1 % split half to the keeper. The chain clock only moves when a test
//! moves it, so after a price move the mark equals the new index (the basis
//! average has had no time to move).

#[path = "waterfall/adl.rs"]
mod adl;
#[path = "waterfall/adl_bounded.rs"]
mod adl_bounded;
#[path = "waterfall/adl_round.rs"]
mod adl_round;
#[path = "waterfall/common.rs"]
mod common;
#[path = "waterfall/griefing.rs"]
mod griefing;
#[path = "waterfall/liquidation.rs"]
mod liquidation;
#[path = "waterfall/rejections.rs"]
mod rejections;
#[path = "waterfall/socialized.rs"]
mod socialized;
#[path = "waterfall/staking.rs"]
mod staking;
#[path = "waterfall/tightening.rs"]
mod tightening;
