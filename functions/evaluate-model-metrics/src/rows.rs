//! What both file formats share: the columns asked for, number parsing, and the row sink that
//! turns located fields into tallied rows of the request's task.

use crate::classes::{argmax, probability_terms, ClassRow, SUM_TOLERANCE};
use crate::error::EvaluateError;
use crate::scores::ScoreRow;
use crate::tally::{Tally, KEY_SEPARATOR};

/// The columns a request names.
#[derive(Debug, Clone, Default)]
pub struct Columns {
    /// Actual-value (or actual-label) column.
    pub actual: String,
    /// Predicted-value (or predicted-label) column, when there is one.
    pub predicted: Option<String>,
    /// Multiclass: the probability columns in the order of the declared classes; binary: the
    /// score column.
    pub scores: Vec<String>,
    /// Segment columns, in order.
    pub segments: Vec<String>,
    /// How a row's fields become a tallied row.
    pub task: RowTask,
}

impl Columns {
    /// The columns of a regression: actual and predicted numbers.
    pub fn regression(actual: &str, predicted: &str, segments: &[&str]) -> Self {
        Self {
            actual: actual.into(),
            predicted: Some(predicted.into()),
            segments: segments.iter().map(|s| s.to_string()).collect(),
            ..Self::default()
        }
    }
}

/// How a row's fields are read.
#[derive(Debug, Clone, Default)]
pub enum RowTask {
    /// Two numbers.
    #[default]
    Regression,
    /// Labels out of `classes` (compared by text), probabilities in [`Columns::scores`].
    Multiclass {
        /// The declared classes.
        classes: Vec<String>,
        /// The k of top-k accuracy.
        top_k: Option<usize>,
    },
    /// A label and a score.
    Binary {
        /// Which labels are positive.
        labels: BinaryLabels,
        /// `score ≥ threshold` is predicted positive.
        threshold: f64,
    },
}

/// How binary labels are told apart.
#[derive(Debug, Clone, PartialEq)]
pub enum BinaryLabels {
    /// 1/0/true/false (any case; numbers equal to 1 or 0): anything else is not declared.
    /// The field is the boolean of the positive label.
    Boolean(bool),
    /// The positive label's text: any other label is negative.
    Named(String),
}

impl BinaryLabels {
    /// The labels for `positive_label`: boolean-like ones (`1`, `true`, `0`, `false`) make
    /// the file's labels boolean too.
    pub fn for_positive(positive_label: &str) -> Self {
        match boolean_label(positive_label.as_bytes()) {
            Some(value) => BinaryLabels::Boolean(value),
            None => BinaryLabels::Named(positive_label.trim().to_string()),
        }
    }
}

/// Reads 1/0/true/false (any case; numbers equal to 1 or 0).
fn boolean_label(raw: &[u8]) -> Option<bool> {
    let text = raw.trim_ascii();
    if text.eq_ignore_ascii_case(b"true") {
        return Some(true);
    }
    if text.eq_ignore_ascii_case(b"false") {
        return Some(false);
    }
    match parse_number(text) {
        Some(1.0) => Some(true),
        Some(0.0) => Some(false),
        _ => None,
    }
}

/// The segment key of a row: a single value as it is, several joined by [`KEY_SEPARATOR`] in
/// `buffer`; `None` without segment columns.
#[inline]
fn segment_key<'k, 'a: 'k>(
    count: usize,
    buffer: &'k mut Vec<u8>,
    mut segments: impl Iterator<Item = &'a [u8]>,
) -> Option<&'k [u8]> {
    match count {
        0 => return None,
        // One segment column (the common case): its bytes are the key, no copy needed.
        1 => {
            if let Some(value) = segments.next() {
                return Some(value);
            }
        }
        _ => {}
    }
    buffer.clear();
    for (i, value) in segments.enumerate() {
        if i > 0 {
            buffer.push(KEY_SEPARATOR);
        }
        buffer.extend_from_slice(value);
    }
    Some(buffer)
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
    probabilities: Vec<f64>,
}

impl RowSink {
    /// An empty sink.
    pub fn new(uri: String, columns: Columns) -> Self {
        Self {
            uri,
            columns,
            tally: Tally::default(),
            key: Vec::with_capacity(64),
            probabilities: Vec::new(),
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

    /// Adds a row of any task given its raw fields: actual, predicted (if the request names
    /// a predicted column), score or probability values (in [`Columns::scores`] order) and
    /// segment values.
    #[inline]
    pub fn push_record<'a>(
        &mut self,
        line: u64,
        actual: &[u8],
        predicted: Option<&[u8]>,
        scores: impl Iterator<Item = &'a [u8]>,
        segments: impl Iterator<Item = &'a [u8]>,
    ) -> Result<(), EvaluateError> {
        match &self.columns.task {
            RowTask::Regression => match predicted {
                Some(predicted) => self.push(line, actual, predicted, segments),
                None => Err(EvaluateError::InvalidInput(
                    "predicted_column is required for a regression evaluation".into(),
                )),
            },
            RowTask::Multiclass { .. } => {
                self.push_multiclass(line, actual, predicted, scores, segments)
            }
            RowTask::Binary { .. } => self.push_binary(line, actual, scores, segments),
        }
    }

    /// Adds a regression row given its raw actual, predicted and segment values.
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
            let column = self.columns.predicted.as_deref().unwrap_or_default();
            return Err(self.not_a_number(line, column, predicted));
        };
        self.push_numbers(a, p, segments);
        Ok(())
    }

    /// Adds a regression row whose values are already numbers.
    #[inline]
    pub fn push_numbers<'a>(
        &mut self,
        actual: f64,
        predicted: f64,
        segments: impl Iterator<Item = &'a [u8]>,
    ) {
        let key = segment_key(self.columns.segments.len(), &mut self.key, segments);
        self.tally.push(actual, predicted, key);
    }

    /// The position of `raw` among the declared classes.
    fn class_of(&self, line: u64, column: &str, raw: &[u8]) -> Result<usize, EvaluateError> {
        let RowTask::Multiclass { classes, .. } = &self.columns.task else {
            return Err(EvaluateError::InvalidInput(
                "not a multiclass evaluation".into(),
            ));
        };
        let label = raw.trim_ascii();
        classes
            .iter()
            .position(|c| c.as_bytes() == label)
            .ok_or_else(|| EvaluateError::LabelNotDeclared {
                uri: self.uri.clone(),
                line,
                column: column.to_string(),
                label: String::from_utf8_lossy(label).into_owned(),
                declared: classes.join(", "),
            })
    }

    /// Reads the score or probability `raw` of `column`: a number in [0, 1].
    fn probability(&self, line: u64, column: &str, raw: &[u8]) -> Result<f64, EvaluateError> {
        let value = parse_number(raw).ok_or_else(|| self.not_a_number(line, column, raw))?;
        if !(0.0..=1.0).contains(&value) {
            return Err(EvaluateError::ScoreOutOfRange {
                uri: self.uri.clone(),
                line,
                column: column.to_string(),
                value,
            });
        }
        Ok(value)
    }

    fn push_multiclass<'a>(
        &mut self,
        line: u64,
        actual: &[u8],
        predicted: Option<&[u8]>,
        scores: impl Iterator<Item = &'a [u8]>,
        segments: impl Iterator<Item = &'a [u8]>,
    ) -> Result<(), EvaluateError> {
        let RowTask::Multiclass { classes, top_k } = &self.columns.task else {
            return Err(EvaluateError::InvalidInput(
                "not a multiclass evaluation".into(),
            ));
        };
        let (count, top_k) = (classes.len(), *top_k);
        let actual = self.class_of(line, &self.columns.actual, actual)?;
        let mut probabilities = std::mem::take(&mut self.probabilities);
        probabilities.clear();
        for (raw, column) in scores.zip(&self.columns.scores) {
            match self.probability(line, column, raw) {
                Ok(p) => probabilities.push(p),
                Err(error) => {
                    self.probabilities = probabilities;
                    return Err(error);
                }
            }
        }
        let sum: f64 = probabilities.iter().sum();
        let outcome = if !probabilities.is_empty() && (sum - 1.0).abs() > SUM_TOLERANCE {
            Err(EvaluateError::ProbabilitiesDoNotSumToOne {
                uri: self.uri.clone(),
                line,
                sum,
            })
        } else {
            match (predicted, &self.columns.predicted) {
                (Some(raw), Some(column)) => self.class_of(line, column, raw),
                _ => Ok(argmax(&probabilities)),
            }
        };
        let (log_loss, top_k_hit) = if probabilities.is_empty() {
            (0.0, false)
        } else {
            probability_terms(&probabilities, actual, top_k)
        };
        self.probabilities = probabilities;
        let row = ClassRow {
            classes: count,
            actual,
            predicted: outcome?,
            log_loss,
            top_k_hit,
        };
        let key = segment_key(self.columns.segments.len(), &mut self.key, segments);
        self.tally.classes.push(row, key);
        Ok(())
    }

    fn push_binary<'a>(
        &mut self,
        line: u64,
        actual: &[u8],
        mut scores: impl Iterator<Item = &'a [u8]>,
        segments: impl Iterator<Item = &'a [u8]>,
    ) -> Result<(), EvaluateError> {
        let RowTask::Binary { labels, threshold } = &self.columns.task else {
            return Err(EvaluateError::InvalidInput(
                "not a binary evaluation".into(),
            ));
        };
        let positive = match labels {
            BinaryLabels::Boolean(positive) => match boolean_label(actual) {
                Some(value) => value == *positive,
                None => {
                    return Err(EvaluateError::LabelNotDeclared {
                        uri: self.uri.clone(),
                        line,
                        column: self.columns.actual.clone(),
                        label: String::from_utf8_lossy(actual.trim_ascii()).into_owned(),
                        declared: "1, 0, true, false".into(),
                    })
                }
            },
            BinaryLabels::Named(name) => actual.trim_ascii() == name.as_bytes(),
        };
        let threshold = *threshold;
        let column = self.columns.scores.first().map_or("", String::as_str);
        let score = self.probability(line, column, scores.next().unwrap_or_default())?;
        let row = ScoreRow {
            positive,
            score,
            predicted_positive: score >= threshold,
        };
        let key = segment_key(self.columns.segments.len(), &mut self.key, segments);
        self.tally.scores.push(row, key);
        Ok(())
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
