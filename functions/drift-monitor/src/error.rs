//! The function's errors. Each variant's name is the Lambda `errorType` that a caller's
//! `Retry`/`Catch` (or an alarm's filter) matches: never rename one.
//!
//! Too few live rows is *not* an error: it is the typed result `insufficient_data` of the report
//! (see [`crate::report::Status`]). A malformed capture record is counted in the report and
//! skipped; a malformed training row fails the baseline, which must describe the whole data.

use shared::storage::StorageError;

/// Why an invocation failed.
#[derive(Debug, thiserror::Error, strum::IntoStaticStr, strum::VariantNames)]
pub enum DriftMonitorError {
    /// The event is not a valid baseline or monitor request.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// No object or file at the training data URI.
    #[error("no training data at {uri}")]
    TrainingDataNotFound {
        /// The URI that was read.
        uri: String,
    },
    /// No baseline profile at the baseline URI.
    #[error("no baseline profile at {uri}")]
    BaselineNotFound {
        /// The URI that was read.
        uri: String,
    },
    /// The baseline profile is not a valid profile of schema version 1.
    #[error("invalid baseline profile at {uri}: {detail}")]
    InvalidBaseline {
        /// The URI that was read.
        uri: String,
        /// What is wrong.
        detail: String,
    },
    /// A training row could not be read (wrong number of fields, a non-number in a numeric
    /// feature, a line that is not a JSON object).
    #[error("unparsable training row at {uri} line {line}: {detail}")]
    UnparsableRow {
        /// The URI that was read.
        uri: String,
        /// 1-based line (record) number.
        line: u64,
        /// What is wrong.
        detail: String,
    },
    /// A named column is not in the training data's header (CSV) or first row (JSON Lines).
    #[error("column {column:?} not found in {uri}; available: {available}")]
    ColumnNotFound {
        /// The missing column.
        column: String,
        /// The URI that was read.
        uri: String,
        /// The columns that are there.
        available: String,
    },
    /// The training data holds no rows.
    #[error("{uri} holds no data rows")]
    EmptyTrainingData {
        /// The URI that was read.
        uri: String,
    },
    /// A compressed stream is corrupt.
    #[error("{0}")]
    CorruptInput(String),
    /// A transient storage failure (throttling, 5xx, network): worth a retry.
    #[error("{0}")]
    StorageUnavailable(String),
    /// Any other storage failure (e.g. access denied).
    #[error("{0}")]
    StorageFailed(String),
    /// The baseline or the report could not be written.
    #[error("cannot write {uri}: {detail}")]
    WriteFailed {
        /// The URI that was written.
        uri: String,
        /// What happened.
        detail: String,
    },
    /// EventBridge refused or failed the drift event (after the SDK's retries): worth a retry,
    /// the event id is deterministic so a retried run publishes the same event.
    #[error("cannot publish the drift event: {0}")]
    PublishFailed(String),
}

shared::lambda_error!(DriftMonitorError);

impl DriftMonitorError {
    /// Maps a storage error met while reading `what`: a missing object becomes `not_found`.
    pub fn from_storage(error: StorageError, not_found: impl FnOnce(String) -> Self) -> Self {
        match error {
            StorageError::InvalidUri { .. } => DriftMonitorError::InvalidInput(error.to_string()),
            StorageError::NotFound { uri } => not_found(uri),
            StorageError::Unavailable { .. } => {
                DriftMonitorError::StorageUnavailable(error.to_string())
            }
            StorageError::Corrupt { .. } => DriftMonitorError::CorruptInput(error.to_string()),
            StorageError::Failed { .. } => DriftMonitorError::StorageFailed(error.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::ErrorType;

    #[test]
    fn error_types_are_the_variant_names() {
        let error = DriftMonitorError::from_storage(
            StorageError::NotFound {
                uri: "s3://b/k".into(),
            },
            |uri| DriftMonitorError::BaselineNotFound { uri },
        );
        assert_eq!(error.error_type(), "BaselineNotFound");
        let error = DriftMonitorError::from_storage(
            StorageError::Unavailable {
                uri: "s3://b/k".into(),
                detail: "SlowDown".into(),
            },
            |uri| DriftMonitorError::BaselineNotFound { uri },
        );
        assert_eq!(error.error_type(), "StorageUnavailable");
    }
}
