pub mod constants;
pub mod safe_math;
pub mod wide;

pub use constants::*;
pub use safe_math::*;
pub use wide::PodI128;
