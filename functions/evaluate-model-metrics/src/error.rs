//! The function's errors. Each variant's name is the Lambda `errorType` that the retraining
//! state machine's `Retry`/`Catch` match: never rename one.

use shared::storage::StorageError;

/// Why an evaluation failed.
#[derive(Debug, thiserror::Error, strum::IntoStaticStr, strum::VariantNames)]
pub enum EvaluateError {
    /// The event is not a valid evaluation request.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// No object or file at the predictions URI.
    #[error("no evaluation predictions at {uri}")]
    PredictionsNotFound {
        /// The URI that was read.
        uri: String,
    },
    /// A named column is not in the header (CSV) or not in a row (JSON Lines).
    #[error("column {column:?} not found in {uri} (line {line}); available: {available}")]
    ColumnNotFound {
        /// The missing column.
        column: String,
        /// The URI that was read.
        uri: String,
        /// The line where it was looked for.
        line: u64,
        /// The columns that are there.
        available: String,
    },
    /// A row could not be read as numbers.
    #[error("unparsable row at {uri} line {line}: {detail}")]
    UnparsableRow {
        /// The URI that was read.
        uri: String,
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        detail: String,
    },
    /// The file holds no data rows.
    #[error("{uri} holds no data rows")]
    EmptyPredictions {
        /// The URI that was read.
        uri: String,
    },
    /// Every actual value is 0, so MAPE is undefined.
    #[error("MAPE is undefined for {uri}: all {rows} actual values are 0")]
    MapeUndefined {
        /// The URI that was read.
        uri: String,
        /// Data rows read.
        rows: u64,
    },
    /// A label (actual or predicted) is not among the declared classes (multiclass), or not
    /// 1/0/true/false when the positive label is one of those (binary).
    #[error("label {label:?} in column {column:?} at {uri} line {line} is not declared; declared: {declared}")]
    LabelNotDeclared {
        /// The URI that was read.
        uri: String,
        /// 1-based line number.
        line: u64,
        /// The column holding the label.
        column: String,
        /// The label found.
        label: String,
        /// The labels that are allowed.
        declared: String,
    },
    /// A row's class probabilities do not sum to 1 within [`crate::classes::SUM_TOLERANCE`].
    #[error("the class probabilities at {uri} line {line} sum to {sum}, not to 1 within the absolute tolerance 1e-3")]
    ProbabilitiesDoNotSumToOne {
        /// The URI that was read.
        uri: String,
        /// 1-based line number.
        line: u64,
        /// Their sum.
        sum: f64,
    },
    /// A score or class probability outside [0, 1].
    #[error("column {column:?} at {uri} line {line} holds {value}, outside [0, 1]")]
    ScoreOutOfRange {
        /// The URI that was read.
        uri: String,
        /// 1-based line number.
        line: u64,
        /// The score or probability column.
        column: String,
        /// The value found.
        value: f64,
    },
    /// The compressed stream is corrupt.
    #[error("{0}")]
    CorruptInput(String),
    /// A transient storage failure (throttling, 5xx, network): worth a retry.
    #[error("{0}")]
    StorageUnavailable(String),
    /// Any other storage failure (e.g. access denied).
    #[error("{0}")]
    StorageFailed(String),
}

impl EvaluateError {
    /// The line number of an error about one row, to re-base it on the whole file.
    pub fn line_mut(&mut self) -> Option<&mut u64> {
        match self {
            EvaluateError::UnparsableRow { line, .. }
            | EvaluateError::LabelNotDeclared { line, .. }
            | EvaluateError::ProbabilitiesDoNotSumToOne { line, .. }
            | EvaluateError::ScoreOutOfRange { line, .. } => Some(line),
            _ => None,
        }
    }
}

shared::lambda_error!(EvaluateError);

impl From<StorageError> for EvaluateError {
    fn from(error: StorageError) -> Self {
        match error {
            StorageError::InvalidUri { .. } => EvaluateError::InvalidInput(error.to_string()),
            StorageError::NotFound { uri } => EvaluateError::PredictionsNotFound { uri },
            StorageError::Unavailable { .. } => {
                EvaluateError::StorageUnavailable(error.to_string())
            }
            StorageError::Corrupt { .. } => EvaluateError::CorruptInput(error.to_string()),
            StorageError::Failed { .. } => EvaluateError::StorageFailed(error.to_string()),
        }
    }
}
