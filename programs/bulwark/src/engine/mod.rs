//! The engine: plain functions on `&mut` state, with no Anchor context. The
//! program, the keeper, the auditor and simulate all run these.

pub mod collateral;
pub mod margin;
pub mod oracle;
pub mod params;
