//! What both file formats share: the columns asked for, number parsing, and the row sink that
//! turns located fields into tallied errors.

use crate::error::EvaluateError;
use crate::tally::{Tally, KEY_SEPARATOR};

/// The columns a request names.
#[derive(Debug, Clone)]
pub struct Columns {
    /// Actual-value column.
    pub actual: String,
    /// Predicted-value column.
    pub predicted: String,
    /// Segment columns, in order.
    pub segments: Vec<String>,
}

/// Exact powers of ten as `f64` (all below 2^53 · 2^22 are exactly representable up to 1e22).
const POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Reads a field as a finite number, allowing surrounding ASCII white space.
#[inline]
pub fn parse_number(raw: &[u8]) -> Option<f64> {
    let trimmed = raw.trim_ascii();
    if trimmed.is_empty() {
        return None;
    }
    if let Some(value) = parse_plain_decimal(trimmed) {
        return Some(value);
    }
    // Everything else (exponents, long mantissas, ...): fast-float2 reads bytes directly and
    // rounds exactly like `str::parse`.
    let value: f64 = fast_float2::parse(trimmed).ok()?;
    value.is_finite().then_some(value)
}

/// The common case of evaluation files, `-?digits(.digits)?` with at most 15 significant
/// digits, by Clinger's fast path: the mantissa and the power of ten are both exact in `f64`,
/// so one correctly rounded division gives the correctly rounded value. `None` means "not this
/// shape": the caller falls back to the general parser.
#[inline]
fn parse_plain_decimal(text: &[u8]) -> Option<f64> {
    let (negative, digits) = match text.split_first()? {
        (b'-', rest) => (true, rest),
        _ => (false, text),
    };
    // At most 15 digits and a point: the mantissa stays exact (< 2^53) and cannot overflow.
    if digits.len() > 16 {
        return None;
    }
    let mut mantissa: u64 = 0;
    let mut i = 0;
    while let Some(&byte) = digits.get(i).filter(|b| b.is_ascii_digit()) {
        mantissa = mantissa * 10 + u64::from(byte - b'0');
        i += 1;
    }
    let integer_digits = i;
    let mut fraction_digits = 0;
    if digits.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while let Some(&byte) = digits.get(i).filter(|b| b.is_ascii_digit()) {
            mantissa = mantissa * 10 + u64::from(byte - b'0');
            i += 1;
        }
        fraction_digits = i - start;
    }
    let total = integer_digits + fraction_digits;
    if i != digits.len() || total == 0 || total > 15 {
        return None;
    }
    let value = mantissa as f64 / POWERS_OF_TEN[fraction_digits];
    Some(if negative { -value } else { value })
}

/// Describes an unreadable value for an error message, shortened.
pub fn describe_value(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    if text.trim().is_empty() {
        "an empty value".to_string()
    } else if text.chars().count() > 40 {
        format!("{:?}…", text.chars().take(40).collect::<String>())
    } else {
        format!("{text:?}")
    }
}

/// Accumulates rows; owns the tally and the reusable segment-key buffer.
#[derive(Debug)]
pub struct RowSink {
    /// The URI read, for error messages.
    pub uri: String,
    /// The columns asked for.
    pub columns: Columns,
    /// What was tallied so far.
    pub tally: Tally,
    key: Vec<u8>,
}

impl RowSink {
    /// An empty sink.
    pub fn new(uri: String, columns: Columns) -> Self {
        Self {
            uri,
            columns,
            tally: Tally::default(),
            key: Vec::with_capacity(64),
        }
    }

    /// The error for a value that is not a number.
    pub fn not_a_number(&self, line: u64, column: &str, raw: &[u8]) -> EvaluateError {
        EvaluateError::UnparsableRow {
            uri: self.uri.clone(),
            line,
            detail: format!(
                "column {column:?} holds {}, not a number",
                describe_value(raw)
            ),
        }
    }

    /// Adds a row given its raw actual, predicted and segment values.
    #[inline]
    pub fn push<'a>(
        &mut self,
        line: u64,
        actual: &[u8],
        predicted: &[u8],
        segments: impl Iterator<Item = &'a [u8]>,
    ) -> Result<(), EvaluateError> {
        let Some(a) = parse_number(actual) else {
            return Err(self.not_a_number(line, &self.columns.actual, actual));
        };
        let Some(p) = parse_number(predicted) else {
            return Err(self.not_a_number(line, &self.columns.predicted, predicted));
        };
        self.push_numbers(a, p, segments);
        Ok(())
    }

    /// Adds a row whose values are already numbers.
    #[inline]
    pub fn push_numbers<'a>(
        &mut self,
        actual: f64,
        predicted: f64,
        mut segments: impl Iterator<Item = &'a [u8]>,
    ) {
        match self.columns.segments.len() {
            0 => return self.tally.push(actual, predicted, None),
            // One segment column (the common case): its bytes are the key, no copy needed.
            1 => {
                if let Some(value) = segments.next() {
                    return self.tally.push(actual, predicted, Some(value));
                }
            }
            _ => {}
        }
        self.key.clear();
        for (i, value) in segments.enumerate() {
            if i > 0 {
                self.key.push(KEY_SEPARATOR);
            }
            self.key.extend_from_slice(value);
        }
        self.tally.push(actual, predicted, Some(&self.key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_allow_white_space_but_not_nan_or_infinity() {
        assert_eq!(parse_number(b" 12.5 "), Some(12.5));
        assert_eq!(parse_number(b"-3e2"), Some(-300.0));
        assert_eq!(parse_number(b""), None);
        assert_eq!(parse_number(b"NaN"), None);
        assert_eq!(parse_number(b"inf"), None);
        assert_eq!(parse_number(b"12,5"), None);
        assert_eq!(parse_number(b"1.5x"), None);
        assert_eq!(parse_number(b"0.1"), Some(0.1));
        assert_eq!(parse_number(b"1e400"), None);
        assert_eq!(parse_number(b"."), None);
        assert_eq!(parse_number(b"-"), None);
        assert_eq!(parse_number(b"1.2.3"), None);
        assert_eq!(parse_number(b"-0.5"), Some(-0.5));
        assert_eq!(parse_number(b"5."), Some(5.0));
        assert_eq!(parse_number(b".25"), Some(0.25));
    }

    proptest::proptest! {
        #[test]
        fn the_fast_path_rounds_exactly_like_the_standard_parser(
            int in 0u64..10_000_000, frac in 0u64..100_000_000, width in 0usize..9, negative: bool
        ) {
            let sign = if negative { "-" } else { "" };
            let text = if width == 0 {
                format!("{sign}{int}")
            } else {
                format!("{sign}{int}.{:0width$}", frac % 10u64.pow(width as u32), width = width)
            };
            let expected: f64 = text.parse().unwrap();
            proptest::prop_assert_eq!(parse_number(text.as_bytes()), Some(expected), "{}", text);
        }

        #[test]
        fn any_text_parses_like_the_standard_parser_or_not_at_all(text in "[-+0-9.eE ]{0,24}") {
            let expected = text.trim().parse::<f64>().ok().filter(|v| v.is_finite());
            if let Some(got) = parse_number(text.as_bytes()) {
                proptest::prop_assert_eq!(Some(got), expected, "{:?}", text);
            }
        }
    }
}
