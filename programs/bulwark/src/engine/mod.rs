//! The engine: plain functions on `&mut` state, with no Anchor context. The
//! program, the keeper, the auditor and simulate all run these.

pub mod book;
pub mod collateral;
pub mod insurance;
pub mod margin;
pub mod mark;
pub mod oracle;
pub mod params;
pub mod position;
pub mod trade;
