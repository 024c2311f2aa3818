//! Trading integration tests: placing, matching, cancelling, fees and their
//! sweep, funding, every trading rejection, and a randomized run of real
//! transactions. Every transaction goes through the harness, which checks
//! all invariants after it (failed or not).
//!
//! Numbers are BTC-PERP's from the harness's `CONFIG` unless a test builds
//! its own config: index 65 000 USD, tick 0.1 USD, 10 000 lots per BTC (so
//! one lot at 65 000 USD is 6 500 000 quote atoms), taker fee 500 ppm,
//! maker rebate 100 ppm, half of the fee revenue to insurance, IM 2 % up to
//! 100 000 USD notional, band ±5 % (61 750 – 68 250 USD).

#[path = "trading/fills.rs"]
mod fills;
#[path = "trading/funding.rs"]
mod funding;
#[path = "trading/gates.rs"]
mod gates;
#[path = "trading/random.rs"]
mod random;
#[path = "trading/rejections.rs"]
mod rejections;
