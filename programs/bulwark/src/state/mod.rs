pub mod events;
pub mod exchange;
pub mod insurance;
pub mod market;
pub mod order;
pub mod params;
pub mod seat;
pub mod seeds;

pub use events::*;
pub use exchange::*;
pub use insurance::*;
pub use market::*;
pub use order::*;
pub use params::*;
pub use seat::*;
pub use seeds::*;
