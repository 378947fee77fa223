//! Plain decimals read straight from bytes, the hot path of the CSV and JSON-lines readers:
//! `-?digits(.digits)?` of 1 to 15 digits, by Clinger's fast path. Any other shape is the
//! caller's to read with a general parser (`fast-float2`), which gives the same value for the
//! shapes read here.

use crate::swar;

/// Exact powers of ten as `f64` (every one up to 1e22 is exactly representable).
const POWERS_OF_TEN: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// Parses `-?digits(.digits)?` with 1 to 15 digits in all starting at `pos` (either side of the
/// point may be empty: `5.` and `.5` are read, `.` is not) and returns the value and the index
/// after it; `None` for any other shape (a `+`, spaces, more digits, no digit), which the
/// caller re-reads with the general parser. What follows the number is not looked at: `1e3`
/// gives `(1.0, pos + 1)`. The value is correctly rounded: the digits make an integer below
/// 2^53 and the power of ten is exact, so one division rounds once.
#[inline(always)]
pub fn scan_decimal(data: &[u8], pos: usize) -> Option<(f64, usize)> {
    let negative = data.get(pos) == Some(&b'-');
    let start = pos + usize::from(negative);
    let (mantissa, fraction_digits, end) = match swar::short_decimal(data, start) {
        Some(short) => short,
        None => long_decimal(data, start)?,
    };
    // Below 10^15, so exact as i64 and as f64 (and i64 converts in one instruction).
    let value = mantissa as i64 as f64 / POWERS_OF_TEN[fraction_digits];
    Some((if negative { -value } else { value }, end))
}

/// [`scan_decimal`]'s unsigned part byte by byte, for numbers longer than a word: mantissa,
/// fraction digits and end, or `None` past 15 digits or without any.
#[inline]
fn long_decimal(data: &[u8], start: usize) -> Option<swar::Decimal> {
    let (mut i, mut mantissa) = append_digits(data, start, 0);
    let integer_digits = i - start;
    let mut fraction_digits = 0;
    if data.get(i) == Some(&b'.') {
        let fraction_start = i + 1;
        (i, mantissa) = append_digits(data, fraction_start, mantissa);
        fraction_digits = i - fraction_start;
    }
    let digits = integer_digits + fraction_digits;
    (1..=15)
        .contains(&digits)
        .then_some((mantissa, fraction_digits, i))
}

/// The ASCII digits from `i` on appended to `mantissa` (wrapping: callers reject more than 15
/// digits): the index after them and the new mantissa.
#[inline(always)]
fn append_digits(data: &[u8], mut i: usize, mut mantissa: u64) -> (usize, u64) {
    while let Some(digit) = data
        .get(i)
        .map(|b| b.wrapping_sub(b'0'))
        .filter(|d| *d < 10)
    {
        mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(digit));
        i += 1;
    }
    (i, mantissa)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_read_and_shapes_left_to_the_general_parser() {
        assert_eq!(scan_decimal(b"124.074,3", 0), Some((124.074, 7)));
        assert_eq!(scan_decimal(b"x,-0.5\n", 2), Some((-0.5, 6)));
        assert_eq!(scan_decimal(b"5.,", 0), Some((5.0, 2)));
        assert_eq!(scan_decimal(b".25", 0), Some((0.25, 3)));
        assert_eq!(scan_decimal(b"1e3", 0), Some((1.0, 1)));
        assert_eq!(scan_decimal(b"123456789012345.5", 0), None);
        assert_eq!(
            scan_decimal(b"-0", 0).map(|(v, _)| v.to_bits()),
            Some((-0.0f64).to_bits())
        );
        for other in ["", "-", ".", "-.", "+1", " 1", "1234567890123456", "abc"] {
            assert_eq!(scan_decimal(other.as_bytes(), 0), None, "{other}");
        }
    }

    proptest::proptest! {
        #[test]
        fn decimals_read_exactly_like_the_standard_parser(
            text in "-?[0-9]{0,17}(\\.[0-9]{0,17})?",
            after in "[,\n xe0-9]{0,9}",
        ) {
            let data = format!("{text}{after}");
            if let Some((value, end)) = scan_decimal(data.as_bytes(), 0) {
                let number = &data[..end];
                proptest::prop_assert!(!data.as_bytes().get(end).is_some_and(u8::is_ascii_digit));
                let expected: f64 = number.parse().unwrap();
                proptest::prop_assert_eq!(value.to_bits(), expected.to_bits(), "{:?}", number);
            } else {
                let digits = text.bytes().filter(u8::is_ascii_digit).count();
                proptest::prop_assert!(
                    digits == 0 || digits > 15 || after.starts_with(|c: char| c.is_ascii_digit()),
                    "{:?} left to the general parser although it is plain", data
                );
            }
        }
    }
}
