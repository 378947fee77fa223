//! Eight bytes at a time ("SIMD within a register"): finding delimiters and reading short
//! decimals without a branch per byte. Digit counts vary from row to row, and a byte loop's
//! exit mispredicts on nearly every field; these read a field in a fixed number of steps.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;
const ZEROS_ASCII: u64 = 0x3030_3030_3030_3030;

/// The eight bytes at `at`, little-endian (byte `at` lowest), if there are eight.
#[inline]
pub fn word_at(data: &[u8], at: usize) -> Option<u64> {
    data.get(at..)?
        .first_chunk::<8>()
        .map(|b| u64::from_le_bytes(*b))
}

/// The high bit of every nonzero byte of `x` set, nothing else (exact: no carries between bytes).
#[inline]
fn nonzero_bytes(x: u64) -> u64 {
    (((x & !HIGHS).wrapping_add(!HIGHS)) | x) & HIGHS
}

/// The high bit of every byte of `word` equal to `byte`.
#[inline]
pub fn bytes_equal(word: u64, byte: u8) -> u64 {
    !nonzero_bytes(word ^ ONES.wrapping_mul(u64::from(byte))) & HIGHS
}

/// The high bit of every byte of `word` that is not an ASCII digit.
#[inline]
fn non_digits(word: u64) -> u64 {
    let high_nibble_not_3 = (word & 0xf0f0_f0f0_f0f0_f0f0) ^ ZEROS_ASCII;
    let low_nibble_over_9 =
        ((word & 0x0f0f_0f0f_0f0f_0f0f) + 0x0606_0606_0606_0606) & 0xf0f0_f0f0_f0f0_f0f0;
    nonzero_bytes(high_nibble_not_3 | low_nibble_over_9)
}

/// The lowest `n` bytes of a word set (`n` < 8).
#[inline]
fn low_bytes(n: usize) -> u64 {
    (1u64 << (8 * n)) - 1
}

/// The index of the first `,`, `\n` or `\r` at or after `pos`, or `data.len()`. (A `\r` ends a
/// field too: before `\n` it is part of the line break, anywhere else CSV readers take it for
/// one, so the caller leaves such a line to the general path.)
#[inline]
pub fn field_end(data: &[u8], pos: usize) -> usize {
    let mut at = pos;
    while let Some(word) = word_at(data, at) {
        let hits = bytes_equal(word, b',') | bytes_equal(word, b'\n') | bytes_equal(word, b'\r');
        if hits != 0 {
            return at + (hits.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    data[at..]
        .iter()
        .position(|&b| matches!(b, b',' | b'\n' | b'\r'))
        .map_or(data.len(), |offset| at + offset)
}

/// A decimal read as an integer: mantissa, number of fraction digits, index after it.
pub type Decimal = (u64, usize, usize);

/// Reads `digits(.digits)?` (no sign) of at most 7 characters from the word at `start`: the
/// mantissa, the number of fraction digits and the index after the number. `None` when the
/// number does not end inside the word, or has no digit: the caller reads it byte by byte.
#[inline]
pub fn short_decimal(data: &[u8], start: usize) -> Option<Decimal> {
    let word = word_at(data, start)?;
    let flags = non_digits(word);
    if flags == 0 {
        return None;
    }
    let integer_len = (flags.trailing_zeros() / 8) as usize;
    let (digits, digit_count, fraction_len, len) = if (word >> (8 * integer_len)) as u8 == b'.' {
        if integer_len == 7 {
            return None;
        }
        let after_point = flags & (u64::MAX << (8 * (integer_len + 1)));
        if after_point == 0 {
            return None;
        }
        let end = (after_point.trailing_zeros() / 8) as usize;
        let fraction_len = end - integer_len - 1;
        let integer = word & low_bytes(integer_len);
        let fraction = (word >> (8 * (integer_len + 1))) & low_bytes(fraction_len);
        (
            integer | fraction << (8 * integer_len),
            integer_len + fraction_len,
            fraction_len,
            end,
        )
    } else {
        (word & low_bytes(integer_len), integer_len, 0, integer_len)
    };
    if digit_count == 0 {
        return None;
    }
    Some((parse_digits(digits, digit_count), fraction_len, start + len))
}

/// The value of `count` (1..=7) ASCII digits in the low bytes of `digits`, first digit lowest:
/// left-padded with '0' to eight, then combined pairwise (the classic three-multiply trick).
#[inline]
fn parse_digits(digits: u64, count: usize) -> u64 {
    let padded = (digits << (8 * (8 - count))) | (ZEROS_ASCII >> (8 * count));
    let v = padded - ZEROS_ASCII;
    let v = (v.wrapping_mul(10) + (v >> 8)) & 0x00ff_00ff_00ff_00ff;
    let v = (v.wrapping_mul(100) + (v >> 16)) & 0x0000_ffff_0000_ffff;
    (v.wrapping_mul(10_000) + (v >> 32)) & 0xffff_ffff
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_are_found_in_and_after_whole_words() {
        let data = b"store-0001,12\nabcdefghijklmnopq";
        assert_eq!(field_end(data, 0), 10);
        assert_eq!(field_end(data, 11), 13);
        assert_eq!(field_end(data, 14), data.len());
        assert_eq!(field_end(b"ab", 0), 2);
        assert_eq!(field_end(b"a,", 0), 1);
        assert_eq!(field_end(b"store-0001\r\n", 0), 10);
        assert_eq!(field_end(b"ab\rcd", 0), 2);
    }

    #[test]
    fn short_decimals_give_mantissa_fraction_digits_and_end() {
        let cases: [(&[u8], Option<Decimal>); 9] = [
            (b"362.72,xxxxx", Some((36272, 2, 6))),
            (b"0.0\nxxxxxxxx", Some((0, 1, 3))),
            (b"5.,xxxxxxxxx", Some((5, 0, 2))),
            (b".25,xxxxxxxx", Some((25, 2, 3))),
            (b"1234567,xxxx", Some((1_234_567, 0, 7))),
            (b"12345678,xxx", None),
            (b"1234567.8,xx", None),
            (b".,xxxxxxxxxx", None),
            (b"1.5", None),
        ];
        for (text, expected) in cases {
            assert_eq!(
                short_decimal(text, 0),
                expected,
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn byte_masks_match_a_byte_loop(bytes: [u8; 8], probe: u8) {
            let word = u64::from_le_bytes(bytes);
            for (i, b) in bytes.iter().enumerate() {
                let bit = 1u64 << (8 * i + 7);
                proptest::prop_assert_eq!(bytes_equal(word, probe) & bit != 0, *b == probe);
                proptest::prop_assert_eq!(non_digits(word) & bit != 0, !b.is_ascii_digit());
            }
        }

        #[test]
        fn short_decimals_read_like_a_byte_loop(text in "[0-9]{0,8}(\\.[0-9]{0,8})?[,\n x]{0,1}[0-9a-z,.]{0,8}") {
            let data = text.as_bytes();
            if let Some((mantissa, fraction_len, end)) = short_decimal(data, 0) {
                let number = &text[..end];
                proptest::prop_assert!(!data.get(end).is_some_and(u8::is_ascii_digit));
                let expected: u64 = number.replace('.', "").parse().unwrap();
                proptest::prop_assert_eq!(mantissa, expected, "{:?}", text);
                let fraction = number.split_once('.').map_or(0, |(_, f)| f.len());
                proptest::prop_assert_eq!(fraction_len, fraction);
            }
        }
    }
}
