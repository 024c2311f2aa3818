//! An in-memory market account (off-chain only): the same bytes the program
//! sees, for unit and property tests and for clients' what-if computations.

use crate::state::{Market, MarketConfig, MarketMut, MarketRef, MARKET_VERSION};
use anchor_lang::Discriminator;

/// An 8-aligned buffer holding a whole market account.
pub struct MarketBuf {
    words: Vec<u64>,
    len: usize,
}

impl MarketBuf {
    pub fn new(config: MarketConfig, seat_count: u32, book_capacity: u32) -> Self {
        let len = Market::account_size(seat_count, book_capacity);
        let mut b = Self {
            words: vec![0u64; len.div_ceil(8)],
            len,
        };
        b.bytes_mut()[..8].copy_from_slice(Market::DISCRIMINATOR);
        let header: &mut Market =
            bytemuck::from_bytes_mut(&mut b.bytes_mut()[8..8 + core::mem::size_of::<Market>()]);
        header.version = MARKET_VERSION;
        header.seat_count = seat_count;
        header.max_seats = seat_count;
        header.book_capacity = book_capacity;
        header.config = config;
        header.state.next_order_id = 1;
        b
    }

    /// Wraps existing account bytes (copied into aligned memory).
    pub fn from_account_data(data: &[u8]) -> Self {
        let mut b = Self {
            words: vec![0u64; data.len().div_ceil(8)],
            len: data.len(),
        };
        b.bytes_mut().copy_from_slice(data);
        b
    }

    pub fn bytes(&self) -> &[u8] {
        &bytemuck::cast_slice(&self.words)[..self.len]
    }

    pub fn bytes_mut(&mut self) -> &mut [u8] {
        let len = self.len;
        &mut bytemuck::cast_slice_mut(&mut self.words)[..len]
    }

    pub fn view(&mut self) -> MarketMut<'_> {
        MarketMut::from_bytes(self.bytes_mut()).expect("valid market buffer")
    }

    /// The view during an ADL ranking round (`MarketMut::from_bytes_in_round`).
    pub fn view_in_round(&mut self) -> MarketMut<'_> {
        MarketMut::from_bytes_in_round(self.bytes_mut()).expect("valid market buffer")
    }

    /// Resizes the account as the runtime does (new bytes zeroed).
    pub fn resize(&mut self, len: usize) {
        self.words.resize(len.div_ceil(8), 0);
        let old = self.len;
        self.len = len;
        if len > old {
            self.bytes_mut()[old..].fill(0);
        }
    }

    pub fn view_ref(&self) -> MarketRef<'_> {
        MarketRef::from_bytes(self.bytes()).expect("valid market buffer")
    }
}
