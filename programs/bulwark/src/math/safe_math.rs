//! Checked arithmetic that returns a typed error instead of panicking.
//! `#[track_caller]` puts the caller's line in the log.

use crate::error::ErrorCode;
use anchor_lang::prelude::*;

pub trait SafeMath: Sized {
    fn safe_add(self, rhs: Self) -> Result<Self>;
    fn safe_sub(self, rhs: Self) -> Result<Self>;
    fn safe_mul(self, rhs: Self) -> Result<Self>;
    /// Division rounding toward zero.
    fn safe_div(self, rhs: Self) -> Result<Self>;
}

#[track_caller]
#[inline(always)]
fn overflow() -> Error {
    let loc = core::panic::Location::caller();
    msg!("math error at {}:{}", loc.file(), loc.line());
    error!(ErrorCode::MathOverflow)
}

macro_rules! impl_safe_math {
    ($($t:ty),*) => {$(
        impl SafeMath for $t {
            #[track_caller]
            #[inline(always)]
            fn safe_add(self, rhs: Self) -> Result<Self> {
                self.checked_add(rhs).ok_or_else(overflow)
            }
            #[track_caller]
            #[inline(always)]
            fn safe_sub(self, rhs: Self) -> Result<Self> {
                self.checked_sub(rhs).ok_or_else(overflow)
            }
            #[track_caller]
            #[inline(always)]
            fn safe_mul(self, rhs: Self) -> Result<Self> {
                self.checked_mul(rhs).ok_or_else(overflow)
            }
            #[track_caller]
            #[inline(always)]
            fn safe_div(self, rhs: Self) -> Result<Self> {
                self.checked_div(rhs).ok_or_else(overflow)
            }
        }
    )*};
}
impl_safe_math!(u16, u32, u64, u128, i32, i64, i128);

/// Division rounding up (toward +infinity) for unsigned values: used for
/// amounts the trader owes, so rounding favours the protocol.
pub trait SafeDivCeil: Sized {
    fn safe_div_ceil(self, rhs: Self) -> Result<Self>;
}

impl SafeDivCeil for u128 {
    #[track_caller]
    #[inline(always)]
    fn safe_div_ceil(self, rhs: Self) -> Result<Self> {
        if rhs == 0 {
            return Err(overflow());
        }
        Ok(self.div_ceil(rhs))
    }
}

impl SafeDivCeil for u64 {
    #[track_caller]
    #[inline(always)]
    fn safe_div_ceil(self, rhs: Self) -> Result<Self> {
        if rhs == 0 {
            return Err(overflow());
        }
        Ok(self.div_ceil(rhs))
    }
}

/// |a| / b for a positive divisor, as one unsigned division (signed 128-bit
/// division is several times dearer on SBF): the truncated quotient of the
/// magnitudes and whether it was inexact. None outside the fast case.
#[inline(always)]
fn magnitude_div(a: i128, b: i128) -> Option<(i128, bool)> {
    if b <= 0 || a == i128::MIN {
        return None;
    }
    let (ua, ub) = (a.unsigned_abs(), b as u128);
    let q = ua / ub;
    Some((q as i128, q * ub != ua))
}

/// Floor division for signed values (toward -infinity): a trader's PnL or
/// credit rounds down, which is against the trader.
pub fn div_floor_i128(a: i128, b: i128) -> Result<i128> {
    if b == 0 {
        return Err(overflow());
    }
    if let Some((q, inexact)) = magnitude_div(a, b) {
        return Ok(if a >= 0 { q } else { -q - inexact as i128 });
    }
    let q = a.checked_div(b).ok_or_else(overflow)?;
    if (a % b != 0) && ((a < 0) != (b < 0)) {
        q.safe_sub(1)
    } else {
        Ok(q)
    }
}

/// Ceiling division for signed values (toward +infinity): what a trader pays.
pub fn div_ceil_i128(a: i128, b: i128) -> Result<i128> {
    if b == 0 {
        return Err(overflow());
    }
    if let Some((q, inexact)) = magnitude_div(a, b) {
        return Ok(if a >= 0 { q + inexact as i128 } else { -q });
    }
    let q = a.checked_div(b).ok_or_else(overflow)?;
    if (a % b != 0) && ((a < 0) == (b < 0)) {
        q.safe_add(1)
    } else {
        Ok(q)
    }
}

/// Lossless-or-error integer conversion.
pub trait Cast: Sized {
    #[track_caller]
    fn cast<T: TryFrom<Self>>(self) -> Result<T> {
        T::try_from(self).map_err(|_| overflow())
    }
}
impl Cast for u8 {}
impl Cast for u16 {}
impl Cast for u32 {}
impl Cast for u64 {}
impl Cast for u128 {}
impl Cast for i32 {}
impl Cast for i64 {}
impl Cast for i128 {}
impl Cast for usize {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_and_ceil_round_the_right_way() {
        assert_eq!(div_floor_i128(7, 2).unwrap(), 3);
        assert_eq!(div_floor_i128(-7, 2).unwrap(), -4);
        assert_eq!(div_ceil_i128(7, 2).unwrap(), 4);
        assert_eq!(div_ceil_i128(-7, 2).unwrap(), -3);
        assert_eq!(div_floor_i128(-8, 2).unwrap(), -4);
        assert!(div_floor_i128(1, 0).is_err());
    }

    #[test]
    fn fast_divisions_match_the_definition() {
        // Exact floor/ceil by the textbook definition on i128.
        fn floor(a: i128, b: i128) -> i128 {
            let (q, r) = (a / b, a % b);
            if r != 0 && ((r < 0) != (b < 0)) {
                q - 1
            } else {
                q
            }
        }
        fn ceil(a: i128, b: i128) -> i128 {
            let (q, r) = (a / b, a % b);
            if r != 0 && ((r < 0) == (b < 0)) {
                q + 1
            } else {
                q
            }
        }
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let edges = [
            0i128,
            1,
            -1,
            7,
            -7,
            1_000_000_000,
            -1_000_000_000,
            i128::MAX,
            i128::MIN + 1,
            i128::MIN,
        ];
        for i in 0..20_000 {
            let a = if i < 200 {
                edges[i % edges.len()]
            } else {
                (((next() as i128) << 64) | next() as i128) >> (next() % 120)
            };
            let b = match next() % 4 {
                0 => 1_000_000_000,
                1 => (next() % 10_000) as i128 + 1,
                2 => -((next() % 10_000) as i128 + 1),
                _ => (next() >> (next() % 60)) as i128 + 1,
            };
            if a == i128::MIN && b == -1 {
                continue;
            }
            assert_eq!(
                div_floor_i128(a, b).unwrap(),
                floor(a, b),
                "floor({a}, {b})"
            );
            assert_eq!(div_ceil_i128(a, b).unwrap(), ceil(a, b), "ceil({a}, {b})");
        }
    }

    #[test]
    fn overflow_is_an_error_not_a_panic() {
        assert!(u64::MAX.safe_add(1).is_err());
        assert!(0u64.safe_sub(1).is_err());
        assert!(i64::MIN.safe_mul(-1).is_err());
        assert!(300u64.cast::<u8>().is_err());
        assert_eq!(200u64.cast::<u8>().unwrap(), 200u8);
    }
}
