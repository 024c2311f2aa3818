//! 128-bit integers stored as two 8-aligned u64 limbs. Solana's toolchain
//! aligns i128 to 8 bytes and upstream LLVM to 16, and account data is only
//! 8-aligned, so zero-copy state never holds a bare i128.

use anchor_lang::prelude::*;

#[zero_copy]
#[derive(Default, Debug, PartialEq, Eq)]
pub struct PodI128 {
    pub lo: u64,
    pub hi: u64,
}

impl PodI128 {
    pub const ZERO: Self = Self { lo: 0, hi: 0 };

    pub fn get(&self) -> i128 {
        (((self.hi as u128) << 64) | self.lo as u128) as i128
    }

    pub fn set(&mut self, v: i128) {
        let u = v as u128;
        self.lo = u as u64;
        self.hi = (u >> 64) as u64;
    }

    pub fn new(v: i128) -> Self {
        let mut p = Self::ZERO;
        p.set(v);
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for v in [0i128, 1, -1, i128::MAX, i128::MIN, 1 << 70, -(1 << 90) + 17] {
            assert_eq!(PodI128::new(v).get(), v);
        }
        assert_eq!(core::mem::align_of::<PodI128>(), 8);
        assert_eq!(core::mem::size_of::<PodI128>(), 16);
    }
}
