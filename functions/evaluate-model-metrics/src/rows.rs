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

/// Reads a field as a finite number, allowing surrounding ASCII white space.
#[inline]
pub fn parse_number(raw: &[u8]) -> Option<f64> {
    let trimmed = raw.trim_ascii();
    if trimmed.is_empty() {
        return None;
    }
    let text = std::str::from_utf8(trimmed).ok()?;
    let value: f64 = text.parse().ok()?;
    value.is_finite().then_some(value)
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
            detail: format!("column {column:?} holds {}, not a number", describe_value(raw)),
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
        segments: impl Iterator<Item = &'a [u8]>,
    ) {
        if self.columns.segments.is_empty() {
            self.tally.push(actual, predicted, None);
            return;
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
    }
}
