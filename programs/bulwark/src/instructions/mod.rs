// Each module has its own `handler`; callers name them by module path.
#![allow(ambiguous_glob_reexports)]

pub mod adl_round;
pub mod admin;
pub mod cancel_order;
pub mod create_market;
pub mod deposit;
pub mod evict_seat;
pub mod funding;
pub mod initialize_exchange;
pub mod insurance;
pub mod keys;
pub mod params;
pub mod pda;
pub mod place_order;
pub mod refresh_prices;
pub mod release_seat;
pub mod sweep_fees;
pub mod waterfall;
pub mod withdraw;

pub use adl_round::*;
pub use admin::*;
pub use create_market::*;
pub use deposit::*;
pub use evict_seat::*;
pub use initialize_exchange::*;
pub use insurance::*;
pub use keys::*;
pub use params::*;
pub use place_order::*;
pub use refresh_prices::*;
pub use release_seat::*;
pub use sweep_fees::*;
pub use waterfall::*;
